"""Render worker process: jobs received over a pipe → outcomes sent back, under a memory limit."""

from __future__ import annotations

import dataclasses
import logging
import resource
import signal
import sys
from multiprocessing.connection import Connection

# Importing the pipeline here means the fork server loads the renderers once and every worker
# forked from it starts warm; the export module also points fontconfig at the bundled fonts.
from labelgen import export  # noqa: F401
from labelgen.logos import limit_logo_pixels
from labelgen.pipeline import render
from labelgen.service.jobs import run_job
from labelgen.service.protocol import PING, PONG, READY, STOP, Job
from labelgen.spec import parse_spec

logger = logging.getLogger(__name__)

MIB = 1024 * 1024

_WARM_UP_SPEC = {
    "brand": {"name": "Sen Hồng"},
    "product": {"name": "Hạt sen sấy", "category": "food", "batch": "L1"},
    "producer": {"name": "HTX Sen", "address": "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp"},
}


def serve_jobs(
    connection: Connection, memory_limit_mb: int, max_logo_pixels: int, max_rss_mb: int
) -> None:
    """The worker's whole life: limit itself, warm up, say READY, then answer jobs until STOP.

    The parent ends a worker by sending STOP, by closing the pipe, or by killing it when a
    render overruns its time limit. The worker retires itself (and the parent starts another)
    when a job ran out of memory, or left it holding more than `max_rss_mb` resident.
    """
    # Ctrl-C and a SIGTERM sent to the whole process group are for the parent: it lets the
    # renders in progress finish, then stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    limit_memory(memory_limit_mb)
    limit_logo_pixels(max_logo_pixels)
    warm_up()
    connection.send(READY)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is STOP:
            return
        if message == PING:
            connection.send(PONG)
            continue
        if not isinstance(message, Job):
            continue
        outcome = run_job(message)
        if not outcome.retire_worker and resident_mb() > max_rss_mb:
            # Freed memory is seldom returned to the system: a fresh process is.
            outcome = dataclasses.replace(outcome, retire_worker=True)
        try:
            connection.send(outcome)
        except (BrokenPipeError, OSError):
            return
        if outcome.retire_worker:
            return


def resident_mb() -> float:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / MIB
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Kibibytes on Linux, bytes on macOS.
        return peak / (MIB if sys.platform == "darwin" else 1024)


def limit_memory(limit_mb: int) -> None:
    """Cap this process's address space, so a render that balloons fails here with MemoryError
    instead of pushing the machine into swap or the kernel's OOM killer."""
    limit_bytes = limit_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit_bytes = min(limit_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def warm_up() -> None:
    """Render a small label once in each format, so fonts, shaping caches and the renderers are
    loaded before the first request is timed against the render limit."""
    try:
        spec = parse_spec(_WARM_UP_SPEC)
        for output_format in ("svg", "png", "pdf"):
            render(spec, output_format, dpi=72, draft=True)
    except Exception:
        # A worker that cannot warm up can still serve; the first request will say what fails.
        logger.exception("render worker warm-up failed")
