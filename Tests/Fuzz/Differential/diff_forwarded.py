"""Forwarded (RFC 7239) and X-Forwarded-For against a small Python model of right-to-left walking
past trusted proxies (fuzz-forwarded in print mode). Seeded: diff_forwarded.py BINARY [cases] [seed].

The model follows the RFC's grammar (forwarded-element = pair *(";" pair), values token or
quoted-string, node = IPv4 / "[" IPv6 "]" / "unknown" / obfnode, with an optional port), joins a
header's lines with "," (RFC 9110 §5.3), and walks from the right: an unusable hop leaves the
client unknown, the first untrusted hop is the client, and when every hop is trusted the leftmost
one is. Trust uses the documented IPv4-mapped rule (diff_cidr.py's `contains`)."""

import ipaddress
import random
import re
import sys

from diff_cidr import contains
from diff_common import Report, run_harness

TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
QUOTED = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\U0010ffff]|\\[\t \x21-\x7e\x80-\U0010ffff])*"'
PAIR = re.compile(rf"({TOKEN})=({TOKEN}|{QUOTED})")
ELEMENT = re.compile(rf"[ \t]*(?:{PAIR.pattern})(?:;{PAIR.pattern})*[ \t]*")
TRUSTED = "10.0.0.0/8,192.168.0.0/16,2001:db8::/32,127.0.0.1"
NETWORKS = [ipaddress.ip_network(text) for text in TRUSTED.split(",")]

TRUSTED_HOPS = ["10.0.0.2", "10.9.8.7", "192.168.1.1", "127.0.0.1", "2001:db8::1", "2001:db8:1::5", "::ffff:10.1.2.3"]
UNTRUSTED_HOPS = ["198.51.100.7", "203.0.113.9", "192.0.2.43", "2001:dba::1", "::ffff:198.51.100.9", "8.8.8.8", "::1"]
JUNK_HOPS = ["unknown", "_hidden", "_x.y-z", "1.2.3", "300.1.1.1", "01.2.3.4", "", "1.2.3.4.5", "::g", "[::1", "fe80::1%eth0", "x"]


def address(text):
    try:
        return ipaddress.ip_address(text) if "%" not in text else None
    except ValueError:
        return None


def trusted(ip):
    return any(contains(network, ip) for network in NETWORKS)


def forwarded_node(node):
    """RFC 7239 §6: the address of a node, or None (unknown, obfuscated, malformed)."""
    name, port = node, None
    if node.startswith("["):
        close = node.find("]")
        if close < 0:
            return None
        name, rest = node[: close + 1], node[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port = rest[1:]
    elif ":" in node:
        name, port = node.rsplit(":", 1)
    if port is not None and not re.fullmatch(r"[0-9]{1,5}|_[A-Za-z0-9._-]+", port):
        return None
    if name.startswith("["):
        ip = address(name[1:-1])
        return ip if ip is not None and ip.version == 6 else None
    ip = address(name)
    return ip if ip is not None and ip.version == 4 else None


def forwarded_elements_from_right(text):
    """The elements nearest first; None in place of the first that does not parse (and stop)."""
    while True:
        cut = len(text)
        while True:
            comma = text.rfind(",", 0, cut)
            candidate = text[comma + 1 :]
            if ELEMENT.fullmatch(candidate):
                yield candidate
                break
            if comma < 0:
                yield None
                return
            cut = comma
        if comma < 0:
            return
        text = text[:comma]


def forwarded_for(element):
    pairs = [(m.group(1).lower(), m.group(2)) for m in PAIR.finditer(element)]
    names = [name for name, _ in pairs]
    if names.count("for") != 1 or len(set(names)) != len(names):
        return None
    value = dict(pairs)["for"]
    if value.startswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return forwarded_node(value)


def xff_hop(hop):
    hop = hop.strip(" \t")
    ip = address(hop)
    if ip is not None:
        return ip
    match = re.fullmatch(r"\[([^\]]*)\](?::([0-9]{1,5}))?|([0-9.]+):([0-9]{1,5})", hop)
    if not match:
        return None
    if match.group(1) is not None:
        ip = address(match.group(1))
        port_ok = match.group(2) is None or int(match.group(2)) <= 65535
        return ip if ip is not None and ip.version == 6 and port_ok else None
    ip = address(match.group(3))
    return ip if ip is not None and ip.version == 4 and int(match.group(4)) <= 65535 else None


def model(header, peer, values):
    peer_ip = address(peer)
    if peer_ip is None:
        return None
    if not trusted(peer_ip) or not values:
        return peer_ip
    joined = ",".join(values)
    if header == "xff":
        hops = (xff_hop(hop) for hop in reversed(joined.split(",")))
    else:
        hops = (forwarded_for(element) if element is not None else None for element in forwarded_elements_from_right(joined))
    client = None
    for ip in hops:
        if ip is None:
            return None
        client = ip
        if not trusted(ip):
            return ip
    return client


def leniencies(header, values):
    """Labels of the documented differences a case could show (see docs/fuzzing.md)."""
    labels = []
    text = ",".join(values)
    if any(count_quotes(value) % 2 for value in values):
        labels.append("a quoted string spanning header lines is malformed")
    if header == "forwarded":
        if re.search(r"[ \t];|;[ \t]", text):
            labels.append("OWS around ';'")
        if re.search(r'for="[0-9a-fA-F]*:[0-9a-fA-F:.]*"', text, re.I):
            labels.append("a bare IPv6 for= is read")
        if re.search(r":_", text):
            labels.append("an obfuscated port is unusable")
        if re.search(r":[0-9]{5}", text):
            labels.append("a port above 65535 is unusable")
        for element in forwarded_elements_from_right(text):
            if element is None:
                break
            names = [m.group(1).lower() for m in PAIR.finditer(element) if m.group(1).lower() != "for"]
            if len(names) != len(set(names)):
                labels.append("a repeated parameter other than for is not refused")
                break
    else:
        if re.search(r"[0-9a-fA-F:]+:[0-9]{1,5}(,|$)", text):
            labels.append("XFF: an IPv6 address ending in :digits is an address, never address:port")
    return labels


def count_quotes(value):
    return len(re.findall(r'(?<!\\)"', value))


def node_text(rng, hop):
    ip = address(hop)
    port = f":{rng.choice(['80', '8080', '443', '65535', '99999', '_p'])}" if rng.random() < 0.2 else ""
    if ip is not None and ip.version == 6:
        return f"[{hop}]{port}" if rng.random() < 0.9 else hop
    return hop + port


def forwarded_element(rng, hop):
    node = node_text(rng, hop)
    value = f'"{node}"' if (":" in node or "[" in node or rng.random() < 0.3) else node
    pairs = [f"{rng.choice(['for', 'For', 'FOR'])}={value}"]
    for _ in range(rng.randint(0, 2)):
        pairs.append(rng.choice(['by=10.0.0.1', 'proto=https', 'host="example.com:8080"', 'ext="a,b;c"', 'ext="q\\"x"', 'secret=_abc']))
    if rng.random() < 0.05:
        pairs.append(f"for={rng.choice(UNTRUSTED_HOPS + TRUSTED_HOPS)}".replace("for=:", 'for="[::]'))
    if rng.random() < 0.05:
        pairs = pairs[1:]
    rng.shuffle(pairs)
    return (";" if rng.random() < 0.95 else " ; ").join(pairs) or "by=x"


def case(rng):
    header = rng.choice(["xff", "forwarded"])
    peer = rng.choice(["10.0.0.1"] * 6 + ["::ffff:10.0.0.1", "2001:db8::9", "198.51.100.1"])
    hops = []
    for _ in range(rng.randint(1, 5)):
        roll = rng.random()
        hops.append(rng.choice(TRUSTED_HOPS if roll < 0.45 else UNTRUSTED_HOPS if roll < 0.9 else JUNK_HOPS))
    if header == "xff":
        pieces = [rng.choice(["", " ", "\t", "  "]) + (node_text(rng, hop) if rng.random() < 0.3 else hop) + rng.choice(["", " "]) for hop in hops]
    else:
        pieces = [rng.choice(["", " "]) + forwarded_element(rng, hop) for hop in hops]
    values, current = [], []
    for piece in pieces:
        current.append(piece)
        if rng.random() < 0.3:
            values.append(",".join(current))
            current = []
    if current:
        values.append(",".join(current))
    if rng.random() < 0.2:
        index = rng.randrange(len(values))
        value = values[index]
        position = rng.randrange(len(value) + 1)
        mutation = rng.choice([",", ";", "=", '"', "\\", " ", "[", "]", ":", "for=", '"for=1.2.3.4"', ""])
        values[index] = value[:position] + mutation + value[position + rng.randint(0, 2) :]
    return [header, TRUSTED, peer] + values


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7239)
    cases = [case(rng) for _ in range(count)]
    report = Report("forwarded (RFC 7239 model)")
    for fields, verdict in zip(cases, run_harness(binary, cases)):
        report.cases += 1
        expected = model(fields[0], fields[2], fields[3:])
        ours = None if verdict[0] == "unknown" else address(verdict[0])
        if ours == expected:
            continue
        labels = leniencies(fields[0], fields[3:])
        if labels:
            report.intended_difference(labels[0])
        else:
            report.divergence(fields, verdict, str(expected) if expected is not None else "unknown")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
