"""A parser for the parse step's tests: the real one, slowed or broken on purpose by a marker.

It runs in the parse processes, so it is a plain module function (sent by
name) and the marker travels in the message itself. A test hands it to
``Reader(parse=...)``; nothing else uses it. Reading only the headers (to
tell a sender their message was set aside) is left alone.
"""

from __future__ import annotations

import os
import time

from mailer.parsing.prepare import ParseJob, Prepared, prepare

HANG = b"HANG-IN-PARSER"  # never finishes, as a parser in a loop would
FAIL = b"FAIL-IN-PARSER"  # the parser raises
DIE = b"DIE-IN-PARSER"  # the parse process dies, as an out-of-memory kill would
SLOW = b"SLOW-IN-PARSER"  # takes a while, within any sane bound


def parse_or_misbehave(job: ParseJob) -> Prepared:
    """``prepare``, unless the message carries one of the markers above."""
    if HANG in job.raw and not job.headers_only:
        while True:  # busy, as a looping parser is: only a kill stops it
            pass
    if FAIL in job.raw and not job.headers_only:
        raise ValueError("cannot read this one")
    if DIE in job.raw and not job.headers_only:
        os._exit(9)
    if SLOW in job.raw:
        time.sleep(0.3)
    return prepare(job)
