#!/usr/bin/env python3
"""Receivers an end-to-end test runs on 127.0.0.1 to see what Alertmanager sends.

  alert_receivers.py webhook PORT OUT   one JSON line per POST body appended to OUT
  alert_receivers.py smtp PORT OUT      a tiny SMTP server (EHLO, AUTH PLAIN, MAIL,
                                        RCPT, DATA, QUIT) appending one JSON line per
                                        message: the decoded AUTH credentials and the data

Python's standard library has no SMTP server since 3.12 (smtpd is gone), so the
few commands Alertmanager's Go client uses are answered here with asyncio.
"""
import asyncio
import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def append(out, record):
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")


def webhook(port, out):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = min(int(self.headers.get("Content-Length", "0")), 1 << 20)
            body = self.rfile.read(length)
            append(out, json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


async def smtp_session(reader, writer, out):
    def send(line):
        writer.write((line + "\r\n").encode())

    record = {"auth_user": None, "auth_password": None, "rcpt": [], "data": ""}
    send("220 127.0.0.1 ESMTP stackd-test")
    await writer.drain()
    while True:
        raw = await reader.readline()
        if not raw:
            break
        line = raw.decode(errors="replace").rstrip("\r\n")
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            send("250-127.0.0.1")
            send("250-AUTH PLAIN")
            send("250 8BITMIME")
        elif verb == "AUTH":
            parts = line.split(" ")
            if len(parts) < 3:
                send("334 ")
                await writer.drain()
                parts.append((await reader.readline()).decode().strip())
            _, user, password = base64.b64decode(parts[2]).decode().split("\0")
            record["auth_user"], record["auth_password"] = user, password
            send("235 2.7.0 Authentication successful")
        elif verb == "MAIL":
            send("250 OK")
        elif verb == "RCPT":
            record["rcpt"].append(line[8:])
            send("250 OK")
        elif verb == "DATA":
            send("354 End data with <CR><LF>.<CR><LF>")
            await writer.drain()
            lines = []
            while True:
                d = (await reader.readline()).decode(errors="replace")
                if d in (".\r\n", ".\n", ""):
                    break
                lines.append(d)
            record["data"] = "".join(lines)
            append(out, record)
            record = dict(record, rcpt=[], data="")
            send("250 OK queued")
        elif verb == "QUIT":
            send("221 Bye")
            await writer.drain()
            break
        else:
            send("250 OK")
        await writer.drain()
    writer.close()


async def smtp(port, out):
    server = await asyncio.start_server(lambda r, w: smtp_session(r, w, out), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    kind, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "webhook":
        webhook(port, out)
    else:
        asyncio.run(smtp(port, out))
