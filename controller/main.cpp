#include "controller/cli/cli.hpp"

int main(int argc, char** argv) { return stackd::cli::main(argc, argv); }
