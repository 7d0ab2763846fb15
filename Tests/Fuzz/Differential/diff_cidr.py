"""CIDR parsing and matching against Python's ipaddress: IPPrefix(parsing:), IPPrefix.contains and
the iplist table (fuzz-iplist in print mode). Seeded and reproducible: diff_cidr.py BINARY [cases] [seed]."""

import ipaddress
import random
import sys

from diff_common import Report, run_harness


def v4_text(value):
    return str(ipaddress.IPv4Address(value))


def v6_text(value, rng):
    address = ipaddress.IPv6Address(value)
    form = rng.random()
    if form < 0.6:
        return address.compressed
    if form < 0.8:
        return address.exploded
    return address.compressed.upper()


def random_v6(rng):
    kind = rng.random()
    if kind < 0.3:
        return (0xFFFF << 32) | rng.getrandbits(32)  # IPv4-mapped
    if kind < 0.5:
        return (0x20010DB8 << 96) | rng.getrandbits(rng.choice([8, 16, 32, 64]))
    if kind < 0.6:
        return rng.getrandbits(16)
    return rng.getrandbits(128)


def prefix_case(rng):
    """A prefix text and the labels of intended differences it may carry."""
    labels = set()
    if rng.random() < 0.5:
        bits, value = 32, rng.getrandbits(32)
    else:
        bits, value = 128, random_v6(rng)
    length = rng.choice([0, 1, 7, 8, 16, 24, 31, bits - 1, bits, rng.randint(0, bits)])
    if rng.random() < 0.8:
        value &= ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
    if bits == 32:
        address = v4_text(value)
    elif value >> 32 == 0xFFFF and rng.random() < 0.5:
        address = "::ffff:" + v4_text(value & 0xFFFFFFFF)
    else:
        address = v6_text(value, rng)
    length_text = str(length)
    roll = rng.random()
    if roll < 0.08:
        length_text = ("0" if roll < 0.05 else "00") + length_text
        if len(length_text) > 3:
            labels.add("prefix length of more than 3 digits")
    elif roll < 0.10 and bits == 32:
        length_text = str(ipaddress.IPv4Network(f"0.0.0.0/{length}").netmask)
        labels.add("netmask form")
    elif roll < 0.12:
        length_text = str(bits + rng.randint(1, 200))
    text = address if rng.random() < 0.15 else f"{address}/{length_text}"
    roll = rng.random()
    if roll < 0.03:
        text = " " + text
    elif roll < 0.06:
        position = rng.randrange(len(text) + 1)
        text = text[:position] + rng.choice(["\0", ".", ":", "x", "%", "/", "0", "::", "-", "+"]) + text[position:]
    elif roll < 0.08:
        text = text[: rng.randrange(len(text) + 1)]
    elif roll < 0.09 and bits == 128:
        text = address + "%eth0" + (f"/{length_text}" if "/" in text else "")
        labels.add("IPv6 scope id")
    return text, labels


def reference_prefix(text):
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


def contains(network, address):
    """ipaddress membership, with the documented IPv4-mapped rule: an IPv4-mapped address is an
    IPv4 client, and an IPv6 prefix speaks about IPv4 clients only inside ::ffff:0:0/96."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if network.version == 4:
        return address.version == 4 and address in network
    if address.version == 4:
        return network.prefixlen >= 96 and ipaddress.IPv6Address("::ffff:" + str(address)) in network
    return address in network


def probes(network, rng):
    bits = network.max_prefixlen
    first, last = int(network.network_address), int(network.broadcast_address)
    values = [first, last, (first - 1) % (1 << bits), (last + 1) % (1 << bits), rng.randint(first, last), rng.getrandbits(bits)]
    make = ipaddress.IPv4Address if bits == 32 else ipaddress.IPv6Address
    result = [make(value) for value in values]
    for address in list(result):
        if address.version == 4:
            result.append(ipaddress.IPv6Address("::ffff:" + str(address)))
        elif address.ipv4_mapped is not None:
            result.append(address.ipv4_mapped)
    return result


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7239)
    cases, expectations = [], []
    while len(cases) < count:
        text, labels = prefix_case(rng)
        network = reference_prefix(text)
        addresses = probes(network, rng) if network is not None else [ipaddress.IPv4Address(rng.getrandbits(32))]
        for address in addresses:
            cases.append([text, str(address)])
            expectations.append((text, labels, network, address))
    report = Report("cidr (Python ipaddress)")
    for case, verdict, (text, labels, network, address) in zip(cases, run_harness(binary, cases), expectations):
        report.cases += 1
        if network is None:
            if verdict[0] != "bad-prefix":
                report.divergence(case, verdict, "ipaddress refuses the prefix")
            continue
        if verdict[0] == "bad-prefix":
            if labels:
                report.intended_difference(sorted(labels)[0])
            else:
                report.divergence(case, verdict, f"ipaddress reads {network}")
            continue
        if ipaddress.ip_network(verdict[1]) != network:
            report.divergence(case, verdict, f"ipaddress reads {network}")
            continue
        expected = "in" if contains(network, address) else "out"
        if verdict[2:] != [expected, expected]:
            report.divergence(case, verdict, f"{address} {expected} {network}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
