"""Run a command on a pseudo-terminal, answer one prompt, and report what happened.

Usage: pty_run.py EXPECT SEND -- COMMAND [ARG...]

Reads the terminal until EXPECT appears, writes SEND (Python escapes such as \\r and
\\x03 are decoded), reads until the command exits, and prints one JSON object:
the exit status, everything the terminal showed, and whether echo was on at the prompt
and after the command ended.
"""

import json
import os
import pty
import select
import sys
import termios
import time

TIME_LIMIT_SECONDS = 30


def read_until(fd, needle, deadline):
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return seen, True
        if not chunk:
            return seen, True
        seen += chunk
        if needle is not None and needle in seen:
            return seen, False
    return seen, False


def echo_enabled(fd):
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def main():
    separator = sys.argv.index("--")
    expect = sys.argv[1].encode()
    send = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
    command = sys.argv[separator + 1 :]
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)

    before, ended = read_until(fd, expect, deadline)
    echo_at_prompt = None
    if not ended:
        # Give the program a moment to switch echo off after writing the prompt.
        time.sleep(0.3)
        echo_at_prompt = echo_enabled(fd)
        os.write(fd, send)
    after, _ = read_until(fd, None, deadline)
    echo_after = echo_enabled(fd)
    _, status = os.waitpid(pid, 0)

    print(json.dumps({
        "status": os.waitstatus_to_exitcode(status),
        "output": (before + after).decode("utf-8", "replace"),
        "prompted": not ended,
        "echo_at_prompt": echo_at_prompt,
        "echo_after": echo_after,
    }))


main()
