#!/usr/bin/env python3
"""What the CPUs ran while each slow call was in flight.

Tuning aid for the login-storm figure. Usage (root, `perf` installed):

  BENCH_SLOW_US=1500 java ... BenchMain "$PWD" storm &      # lists slow ValidateSession calls
  perf sched record -k CLOCK_MONOTONIC -a sleep 3            # during the measured storm
  perf sched timehist > timehist.txt
  bench/tools/slow-call-timeline.py timehist.txt bench/target/storm-slow-calls.txt [calls]

The bench writes each slow call as "start-nanos latency-nanos" on System.nanoTime()'s clock,
which is CLOCK_MONOTONIC on Linux, the clock `-k CLOCK_MONOTONIC` gives perf's timestamps.
"""
import re
import sys

ROW = re.compile(r'\s*([\d.]+)\s+\[(\d+)\]\s+(.*?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$')


def main():
    timehist, slow_file = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    # A timehist row is printed when a task leaves a CPU: (switch-out time, cpu, task, wait ms,
    # scheduling delay ms, run ms); it ran from (time - run) to time.
    rows = []
    with open(timehist) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                rows.append((float(m.group(1)), int(m.group(2)), m.group(3), float(m.group(5)), float(m.group(6))))
    if not rows:
        sys.exit("no rows in " + timehist)
    first, last = rows[0][0], rows[-1][0]
    with open(slow_file) as f:
        calls = [(int(a) / 1e9, int(b) / 1e9) for a, b in (line.split() for line in f if line.strip())]
    inside = [c for c in calls if c[0] > first and c[0] + c[1] < last]
    print(f"{len(calls)} slow calls listed, {len(inside)} inside the trace ({first:.3f}-{last:.3f} s)")
    for start, latency in inside[:limit]:
        print(f"=== call at {start:.6f} s, {latency * 1e3:.2f} ms (times relative to its start)")
        for end, cpu, task, delay, run in rows:
            began = end - run / 1e3
            if end > start and began < start + latency:
                print(f"  cpu{cpu} {(began - start) * 1e3:8.3f} .. {(end - start) * 1e3:8.3f} ms  ran {run:6.3f}  waited {delay:6.3f}  {task}")


if __name__ == "__main__":
    main()
