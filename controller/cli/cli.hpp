#pragma once
// The `stackd` command line: one verb per file, wired together here.
namespace stackd::cli {
int main(int argc, char** argv);
}
