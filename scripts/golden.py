#!/usr/bin/env python3
"""Golden check of Pullback's numeric outputs (tests/golden/README.md).

    golden.py LAUNCHER_ROOT OUTDIR [COMMANDS]

Runs every line of COMMANDS (default: tests/golden/commands.txt next to this script) with
LAUNCHER_ROOT/bin/pullback, line NN into OUTDIR/NN/ (log in OUTDIR/logs/NN.log), then writes:

  OUTDIR/values/NN.json  every number the line produced (the format of tests/golden/expected/)
  OUTDIR/digest.txt      one line per command and per numeric output, "[main]" then "[l2]" lines
  OUTDIR/info.txt        launcher, commit and BLAS notes (not part of the digest)

Numbers are taken from every *.npy (sha256 of the data bytes after the header, and the values),
history.jsonl (one column per field), summary.json, spectrum.json and results.json (every numeric
field), leaving out fields that are timings, sizes in bytes, dates or paths (EXCLUDED below).
Parquet tiles (metric/) are not read: an "export PREV --to npy" line after a blocked estimate
digests the same numbers as metric.npy. A line without OUT (export) is digested by what it added
or changed in the folder it names.

Plain python3 only (json, struct, hashlib): numpy and pyarrow are not needed.
"""
import ast
import hashlib
import json
import math
import os
import re
import shlex
import struct
import subprocess
import sys
import time

EXCLUDED = re.compile(r"seconds|time|bytes|heap|date|updated|elapsed|millis|nanos|path|dir", re.IGNORECASE)
JSON_FILES = ("summary.json", "spectrum.json", "results.json")
NPY_FORMATS = {"f8": "d", "f4": "f", "i8": "q", "i4": "i", "i2": "h", "i1": "b", "u8": "Q", "u4": "I", "u1": "B", "b1": "?"}
L2_MARK = re.compile(r"(^|\s)#.*\bl2\b")


def parse_commands(path):
    """[(nn, raw line, argument tokens, is_l2)] for the non-comment lines of a commands file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            tokens = shlex.split(raw, comments=True)
            if not tokens:
                continue
            out.append(("%02d" % (len(out) + 1), raw.strip(), tokens, bool(L2_MARK.search(raw))))
    return out


def substitute(tokens, out, prev, golden):
    """Replaces the tokens OUT, PREV and GOLDEN (alone or as a path prefix X/...)."""
    subs = {"OUT": out, "PREV": prev, "GOLDEN": golden}
    result = []
    for t in tokens:
        head, sep, tail = t.partition("/")
        if head in subs:
            if subs[head] is None:
                raise SystemExit("golden: %s used with no previous line" % head)
            t = subs[head] + sep + tail
        result.append(t)
    return result


def result_folder(tokens, out):
    """The folder a line writes: OUT if it names it, else its first folder argument (export DIR)."""
    if "OUT" in tokens:
        return out
    for t in tokens[1:]:
        if not t.startswith("-"):
            return t
    return None


# ---------------------------------------------------------------------------------------- reading

def read_npy(path):
    """(descr, shape, data bytes, values) of a .npy file (format 1.0, 2.0 or 3.0, C or Fortran)."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:6] != b"\x93NUMPY":
        raise ValueError("%s is not a .npy file" % path)
    major = blob[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", blob[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack("<I", blob[8:12])
        start = 12
    header = ast.literal_eval(blob[start:start + hlen].decode("latin1"))
    data = blob[start + hlen:]
    descr = header["descr"]
    shape = list(header["shape"])
    order, kind = descr[0], descr[1:]
    if kind not in NPY_FORMATS:
        raise ValueError("%s: dtype %s not supported" % (path, descr))
    endian = ">" if order == ">" else "<"
    count = 1
    for s in shape:
        count *= s
    values = list(struct.unpack(endian + NPY_FORMATS[kind] * count, data[:count * struct.calcsize(NPY_FORMATS[kind])]))
    if header.get("fortran_order") and len(shape) == 2:  # values in C order, always
        r, c = shape
        values = [values[j * r + i] for i in range(r) for j in range(c)]
    return descr, shape, data, [float(v) for v in values]


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def flatten(node, prefix, out):
    """Numeric leaves of a JSON value: path -> number, or path -> [numbers] for numeric arrays."""
    if isinstance(node, dict):
        for k, v in node.items():
            if EXCLUDED.search(k):
                continue
            flatten(v, prefix + [k], out)
    elif isinstance(node, list):
        if node and all(is_number(v) for v in node):
            out["/".join(prefix)] = [float(v) for v in node]
        else:
            for i, v in enumerate(node):
                flatten(v, prefix + [str(i)], out)
    elif is_number(node):
        out["/".join(prefix)] = float(node)


def read_jsonl_columns(path):
    """history.jsonl as columns: field -> [value per line] (None where a line lacks it)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                flat = {}
                flatten(json.loads(line), [], flat)
                rows.append(flat)
    keys = []
    for r in rows:
        for k, v in r.items():
            if k not in keys and not isinstance(v, list):
                keys.append(k)
    return {k: [r.get(k) for r in rows] for k in keys}


def file_hash(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(folder):
    """relative path -> sha256 of every file under folder."""
    out = {}
    if folder and os.path.isdir(folder):
        for root, _, files in os.walk(folder):
            for name in files:
                p = os.path.join(root, name)
                out[os.path.relpath(p, folder)] = file_hash(p)
    return out


def collect(folder, before):
    """The numeric outputs of one line: the files under folder that are new or changed since before."""
    outputs = {}
    after = snapshot(folder)
    for rel in sorted(after):
        if before.get(rel) == after[rel]:
            continue
        name = os.path.basename(rel)
        path = os.path.join(folder, rel)
        if name.endswith(".npy"):
            descr, shape, data, values = read_npy(path)
            outputs[rel] = {"kind": "npy", "descr": descr, "shape": shape,
                            "sha256": hashlib.sha256(data).hexdigest(), "values": values}
        elif name == "history.jsonl":
            outputs[rel] = {"kind": "jsonl", "fields": read_jsonl_columns(path)}
        elif name in JSON_FILES:
            fields = {}
            with open(path, encoding="utf-8") as f:
                flatten(json.load(f), [], fields)
            outputs[rel] = {"kind": "json", "fields": fields}
    return outputs


# ---------------------------------------------------------------------------------------- writing

def encode(v):
    """JSON-safe number: floats as themselves (repr round-trips), non-finite ones as strings."""
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def text(v):
    if v is None:
        return "null"
    return repr(float(v))


def digest_lines(nn, entry):
    lines = ["%s cmd %s" % (nn, entry["command"]), "%s exit %d" % (nn, entry["exit"])]
    for rel, o in entry["outputs"].items():
        if o["kind"] == "npy":
            lines.append("%s %s %s %s sha256=%s" % (nn, rel, o["descr"], "x".join(map(str, o["shape"])), o["sha256"]))
        else:
            for k, v in sorted(o["fields"].items()):  # key order is not an output (Map.of orders vary per JVM)
                if isinstance(v, list):
                    joined = ",".join(text(x) for x in v)
                    lines.append("%s %s %s [%d] sha256=%s" % (nn, rel, k, len(v), hashlib.sha256(joined.encode()).hexdigest()))
                else:
                    lines.append("%s %s %s %s" % (nn, rel, k, text(v)))
    return lines


def git_commit(root):
    try:
        return subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    launcher_root = os.path.abspath(argv[1])
    outdir = os.path.abspath(argv[2])
    here = os.path.dirname(os.path.abspath(__file__))
    commands = os.path.abspath(argv[3]) if len(argv) == 4 else os.path.join(here, "..", "tests", "golden", "commands.txt")
    golden = os.path.dirname(os.path.abspath(commands))
    launcher = os.path.join(launcher_root, "bin", "pullback")
    if not os.access(launcher, os.X_OK):
        print("golden: %s is not executable" % launcher, file=sys.stderr)
        return 2
    if os.path.exists(outdir) and os.listdir(outdir):
        print("golden: %s exists and is not empty" % outdir, file=sys.stderr)
        return 2
    for sub in ("logs", "values"):
        os.makedirs(os.path.join(outdir, sub), exist_ok=True)

    main_lines, l2_lines, failed = [], [], []
    prev = None
    started = time.time()
    for nn, raw, tokens, l2 in parse_commands(commands):
        out = os.path.join(outdir, nn)
        args = substitute(tokens, out, prev, golden)
        folder = result_folder(tokens, out)
        folder = substitute([folder], out, prev, golden)[0] if folder else None
        before = snapshot(folder) if folder != out else {}
        t0 = time.time()
        with open(os.path.join(outdir, "logs", nn + ".log"), "w", encoding="utf-8") as log:
            log.write("$ %s %s\n" % (launcher, " ".join(shlex.quote(a) for a in args)))
            log.flush()
            code = subprocess.run([launcher] + args, stdout=log, stderr=subprocess.STDOUT, cwd=outdir).returncode
        outputs = collect(folder, before) if code == 0 and folder else {}
        entry = {"line": nn, "command": raw, "l2": l2, "exit": code, "outputs": outputs}
        with open(os.path.join(outdir, "values", nn + ".json"), "w", encoding="utf-8") as f:
            json.dump(encode_entry(entry), f, indent=1, allow_nan=False)
            f.write("\n")
        (l2_lines if l2 else main_lines).extend(digest_lines(nn, entry))
        numbers = sum(count_numbers(o) for o in outputs.values())
        print("golden: %s exit %d, %d outputs, %d numbers, %.1f s%s" % (nn, code, len(outputs), numbers, time.time() - t0, "  (l2)" if l2 else ""), file=sys.stderr)
        if code != 0:
            failed.append(nn)
        prev = folder

    with open(os.path.join(outdir, "digest.txt"), "w", encoding="utf-8") as f:
        f.write("[main]\n" + "".join(l + "\n" for l in main_lines))
        f.write("[l2]\n" + "".join(l + "\n" for l in l2_lines))
    with open(os.path.join(outdir, "info.txt"), "w", encoding="utf-8") as f:
        f.write("launcher %s\ncommit %s\ncommands %s (sha256 %s)\nseconds %.1f\n"
                % (launcher, git_commit(launcher_root), commands, file_hash(commands), time.time() - started))
    print("golden: wrote %s" % os.path.join(outdir, "digest.txt"), file=sys.stderr)
    if failed:
        print("golden: lines that failed: %s (logs in %s)" % (" ".join(failed), os.path.join(outdir, "logs")), file=sys.stderr)
        return 1
    return 0


def encode_entry(entry):
    outputs = {}
    for rel, o in entry["outputs"].items():
        o = dict(o)
        if "values" in o:
            o["values"] = encode(o["values"])
        if "fields" in o:
            o["fields"] = {k: encode(v) for k, v in sorted(o["fields"].items())}
        outputs[rel] = o
    return dict(entry, outputs=outputs)


def count_numbers(o):
    if "values" in o:
        return len(o["values"])
    return sum(len(v) if isinstance(v, list) else 1 for v in o["fields"].values())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
