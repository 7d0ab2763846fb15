"""Request path normalization against Python's urllib.parse.unquote_to_bytes + posixpath.normpath
on the decoded path (fuzz-path in print mode). Seeded: diff_path.py BINARY [cases] [seed].

Where RequestPath refuses on purpose (what an upstream could read two ways) the reference says
why, and our refusal must come for one of those reasons: an encoded '/', a '\\' (raw or %5C), an
encoded NUL, a control character, a bad escape, dot segments above the root, not a path."""

import posixpath
import random
import sys
from urllib.parse import unquote_to_bytes

from diff_common import Report, run_harness

SEGMENTS = ["a", "b", "admin", "..", ".", "", "%2e", "%2E%2e", ".%2e", "%41", "%7e", "~x", "%2f", "%2F", "%5c", "\\", "%00",
            "%zz", "%4", "%", "x;p=1", ";p", "%3B", "%3b", "\u00e9", "%C3%A9", "%c3%a9", "*", "a b", "%20", "%25", "%252F",
            "\x01", "\x7f", "..;x", "...", "%2e%2e%2f", "-_.~", "%ff", "%FF%fe", "a+b", "=", "@", "!$&'()*+,"]

REASONS = {
    "encoded-slash": "the path has an encoded '/' (%2F)",
    "backslash": "the path has a '\\' (raw or %5C)",
    "nul": "the path has an encoded NUL (%00)",
    "control": "the path has a control character",
    "bad-escape": "the path has a '%' not followed by two hex digits",
    "climbs": "the path's dot segments climb above the root",
    "not-a-path": "the request target is not a path",
}


def target(rng):
    path = "/" + "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 6)))
    roll = rng.random()
    if roll < 0.1:
        path = "http://example.com" + path
    elif roll < 0.13:
        path = path[1:]
    if rng.random() < 0.15:
        path += rng.choice(["?", "?a=/../b", "#f", "?x=%2F#y"])
    return path


def reference(text):
    """(refusal reasons, normalized path as bytes or None)."""
    for scheme in ("http://", "https://"):
        if text[: len(scheme)].lower() == scheme:
            rest = text[len(scheme):]
            text = rest[rest.index("/"):] if "/" in rest else "/"
            break
    else:
        if not text.startswith("/"):
            return {"not-a-path"}, None
    raw = text.split("?")[0].split("#")[0]
    reasons = set()
    segments = [segment.split(";")[0] for segment in raw[1:].split("/")]  # ;params dropped (Tomcat)
    for segment in segments:
        if "\\" in segment:
            reasons.add("backslash")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in segment):
            reasons.add("control")
        i = 0
        while i < len(segment):
            if segment[i] == "%":
                hexdigits = segment[i + 1 : i + 3]
                if len(hexdigits) < 2 or any(c not in "0123456789abcdefABCDEF" for c in hexdigits):
                    reasons.add("bad-escape")
                    break
                value = int(hexdigits, 16)
                reasons |= {0x2F: {"encoded-slash"}, 0x5C: {"backslash"}, 0: {"nul"}}.get(value, set())
                i += 3
            else:
                i += 1
    decoded = [unquote_to_bytes(segment) for segment in segments]
    depth = 0
    for segment in decoded:
        if segment == b"..":
            if depth == 0:
                reasons.add("climbs")
                break
            depth -= 1
        elif segment not in (b".", b""):
            depth += 1
    if reasons:
        return reasons, None
    normal = posixpath.normpath(b"/" + b"/".join(decoded))
    if normal.startswith(b"//"):
        normal = b"/" + normal.lstrip(b"/")  # POSIX keeps two leading slashes; a URL path has no such rule
    return set(), normal


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 3986)
    cases = [[target(rng)] for _ in range(count)]
    report = Report("path (urllib.parse + posixpath)")
    for case, verdict in zip(cases, run_harness(binary, cases)):
        report.cases += 1
        reasons, normal = reference(case[0])
        if normal is None:
            if verdict[0] != "refused":
                report.divergence(case, verdict, f"refused: {sorted(reasons)}")
            elif verdict[1] not in {REASONS[reason] for reason in reasons}:
                report.divergence(case, verdict, f"refused for one of {sorted(reasons)}")
            else:
                report.intended_difference("refused: " + sorted(reasons)[0])
            continue
        if verdict[0] != "ok":
            report.divergence(case, verdict, normal)
            continue
        ours = unquote_to_bytes(verdict[1])
        # posixpath drops a trailing slash, which a URL path keeps (RFC 3986 §5.2.4).
        if ours.rstrip(b"/") != normal.rstrip(b"/") and not (ours == b"/" and normal == b"/"):
            report.divergence(case, verdict, normal)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
