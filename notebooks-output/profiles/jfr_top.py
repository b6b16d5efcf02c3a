#!/usr/bin/env python3
"""Top methods of one thread in a JFR recording, as markdown tables; with --perf, also the native code of the
thread from a `perf record` of the same run (JFR cannot see inside native methods).

Usage: jfr_top.py FILE.jfr [--perf FILE.perf.data] [--thread main] [--top 10]

Reads `jfr print` (text, full stacks) of jdk.ExecutionSample (the thread was running Java code) and
jdk.NativeMethodSample (the thread was inside a native method: libnd4j, OpenBLAS, JavaCPP's allocator, libc).
Together they cover the thread's time, so shares are of all samples of both kinds.
"""
import argparse
import collections
import re
import subprocess

CATEGORIES = [  # first match wins: SameDiff is part of ND4J but reported on its own
    ("ours", ("dev.gradsweep.",)),
    ("DL4J", ("org.deeplearning4j.",)),
    ("SameDiff", ("org.nd4j.autodiff.",)),
    ("ND4J", ("org.nd4j.",)),
    ("JavaCPP", ("org.bytedeco.",)),
    ("JDK", ("java.", "jdk.", "sun.")),
]
# frames that only drive the measured loop: leaving them out of the inclusive table keeps it informative
DRIVER = re.compile(r"^(picocli\.|dev\.gradsweep\.cli\.|dev\.gradsweep\.bench\.(ProfileRun|StepTimer|BenchVariants)[.$])")
FRAME = re.compile(r"^\s+([\w.$<>]+)\(")
LINE = re.compile(r"line: (\d+)")


def category(method):
    for name, prefixes in CATEGORIES:
        if method.startswith(prefixes):
            return name
    return "other"


def samples(path, thread):
    """Yields (kind, [method, ...] leaf first) for every sample of `thread`."""
    text = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample", "--stack-depth", "256", path],
                          check=True, capture_output=True, text=True).stdout
    for block in text.split("\n}\n"):
        head = re.search(r"jdk\.(ExecutionSample|NativeMethodSample) \{", block)
        if not head or f'sampledThread = "{thread}"' not in block:
            continue
        matches = [m for line in block.split("stackTrace = [", 1)[-1].splitlines() if (m := FRAME.match(line))]
        if matches:
            frames = [m.group(1) for m in matches]
            lines = [LINE.search(m.string).group(1) if LINE.search(m.string) else "?" for m in matches]
            yield ("java" if head.group(1) == "ExecutionSample" else "native"), frames, lines


# comm, tid, ip, symbol (C++ symbols hold spaces and parentheses), (shared object)
PERF_LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+[0-9a-f]+\s+(.*)\s+\(([^()]*)\)$")


def perf_tables(path, comm, top):
    """Native shares of the thread named `comm` (Linux names the JVM's main thread "java")."""
    text = subprocess.run(["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"], check=True, capture_output=True, text=True).stdout
    dsos, syms = collections.Counter(), collections.Counter()
    for line in text.splitlines():
        m = PERF_LINE.match(line)
        if not m or m.group(1) != comm:
            continue
        dso = m.group(4).rsplit("/", 1)[-1]
        dso = "JIT-compiled / interpreted Java" if dso.startswith("perf-") else dso
        dsos[dso] += 1
        sym = m.group(3) if len(m.group(3)) <= 100 else m.group(3)[:97] + "..."
        syms[f"{dso}: {sym}"] += 1
    total = sum(dsos.values())
    if total == 0:
        return f"no perf samples of thread {comm}"
    return (f"{total} perf samples (cpu-clock, 999 Hz) of the main thread.\n\n" + table(dsos.most_common(top), total, "shared object")
            + "\n\n" + table(syms.most_common(top), total, "native symbol"))


def by_call(frames, lines):
    """The innermost frame of our code with its line, and the call it makes out of our code (or its own time):
    tells apart the matmuls, activations and elementwise ops one method issues."""
    for i, f in enumerate(frames):
        if category(f) == "ours":
            callee = frames[i - 1] if i > 0 and category(frames[i - 1]) in ("DL4J", "SameDiff", "ND4J", "JavaCPP") else "itself"
            return f"{f.replace('dev.gradsweep.', '')}:{lines[i]} → {callee.replace('org.nd4j.linalg.', '')}"
    return f"(outside our code) {frames[0]}"


def table(rows, total, header):
    out = [f"| {header} | samples | % |", "|---|---:|---:|"]
    out += [f"| `{k}` | {n} | {100 * n / total:.1f} |" for k, n in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jfr")
    ap.add_argument("--perf")
    ap.add_argument("--thread", default="main")
    ap.add_argument("--top", type=int, default=10)
    a = ap.parse_args()
    kinds, top, top_native, cats, incl, calls = (collections.Counter() for _ in range(6))
    for kind, frames, lines in samples(a.jfr, a.thread):
        calls[by_call(frames, lines)] += 1
        kinds[kind] += 1
        top[(frames[0], kind)] += 1
        cats[category(frames[0])] += 1
        if kind == "native":
            # the caller that asked for the native call, above JavaCPP and ND4J's op plumbing
            caller = next((f for f in frames if category(f) in ("ours", "DL4J", "SameDiff")), frames[-1])
            top_native[caller] += 1
        for f in set(frames):
            if not DRIVER.match(f) and category(f) in ("ours", "DL4J", "SameDiff"):
                incl[f] += 1
    total = sum(kinds.values())
    if total == 0:
        raise SystemExit(f"no samples of thread {a.thread} in {a.jfr}")
    print(f"{total} samples of thread `{a.thread}`: {kinds['java']} running Java ({100 * kinds['java'] / total:.0f} %), "
          f"{kinds['native']} in native methods ({100 * kinds['native'] / total:.0f} %).\n")
    print("Top frame by library: " + ", ".join(f"{c} {100 * n / total:.1f} %" for c, n in cats.most_common()) + "\n")
    print(table([(f"{m} ({k})", n) for (m, k), n in top.most_common(a.top)], total, "top frame (self time)") + "\n")
    print(table(top_native.most_common(a.top), total, "native time, by nearest caller in our code / DL4J / SameDiff") + "\n")
    print(table(incl.most_common(a.top), total, "inclusive (method anywhere on the stack; our code / DL4J / SameDiff)") + "\n")
    print(table(calls.most_common(a.top), total, "by call: innermost method of our code (line) → what it calls outside our code"))
    if a.perf:
        print("\n" + perf_tables(a.perf, "java" if a.thread == "main" else a.thread, a.top))


if __name__ == "__main__":
    main()
