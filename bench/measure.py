"""Runs a command several times and reports the median wall time and the peak
resident set size of the child (ru_maxrss), for side-by-side tables.

  python3 bench/measure.py RUNS -- CMD ARGS...
prints: <median ms> <min ms> <peak RSS MiB>
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def main():
    runs = int(sys.argv[1])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    times, peak = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execvp(cmd[0], cmd)
        _, status, usage = os.wait4(pid, 0)
        times.append((time.perf_counter() - t0) * 1000)
        peak = max(peak, usage.ru_maxrss)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            print(f"command failed: {' '.join(cmd)}", file=sys.stderr)
            sys.exit(1)
    print(f"{statistics.median(times):.1f} {min(times):.1f} {peak / 1024:.1f}")


if __name__ == "__main__":
    main()
