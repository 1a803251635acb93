# Runs one command and reports its wall time, CPU time and peak RSS as one JSON line on fd 3.
# Why a Python wrapper: Node has no getrusage(RUSAGE_CHILDREN), GNU time is not installed on a
# stock machine, and python3 is. The wrapper sits between `ip netns exec` (which execs, so it
# keeps the namespace) and the measured command; its own startup is outside the measured time.
# Usage: python3 measure.py TIMEOUT_SECONDS COMMAND [ARG...]
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

timeout = float(sys.argv[1])
argv = sys.argv[2:]
start = time.monotonic()
child = subprocess.Popen(argv)  # stdin/stdout/stderr inherited; fd 3 is closed in the child
# Popen.wait(timeout=…) polls with sleeps that grow to 50 ms, which rounded every wall time up to
# the next poll (measured: 114, 164, 1668 ms, nothing in between). A blocking wait with the
# timeout on a timer thread sees the exit at once.
timed_out = False


def kill():
    global timed_out
    timed_out = True
    child.kill()


timer = threading.Timer(timeout, kill)
timer.daemon = True
timer.start()
code = child.wait()
wall = time.monotonic() - start
timer.cancel()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
report = {
    # Popen reports death by signal N as -N.
    "code": code if code >= 0 else None,
    "signal": signal.Signals(-code).name if code < 0 else None,
    "wallMs": round(wall * 1000, 1),
    "maxRssKb": usage.ru_maxrss,  # kilobytes on Linux
    # user + system CPU: on a shared machine, what the command cost regardless of its share.
    "cpuMs": round((usage.ru_utime + usage.ru_stime) * 1000, 1),
    "timedOut": timed_out,
}
os.write(3, (json.dumps(report) + "\n").encode())
