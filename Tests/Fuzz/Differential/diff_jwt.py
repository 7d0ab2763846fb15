"""JWT acceptance against PyJWT (fuzz-jwt in print mode: HS256, key "k1", no audience, no issuer,
leeway 0, `sub` optional). Seeded: diff_jwt.py BINARY [cases] [seed].

Rules checked on every case:
- PyJWT refuses it for structure or signature (DecodeError, InvalidSignatureError,
  InvalidAlgorithmError, ...) => we refuse it. No exception.
- We accept it => PyJWT accepts it, unless the case carries a documented difference where we
  are more permissive on purpose (only: a numeric jti, see TokenID.swift).
- PyJWT accepts it and we refuse => the case carries one of the documented differences where we
  are stricter (docs/fuzzing.md), else it is a divergence.
- Both accept => the claims are equal."""

import base64
import hashlib
import hmac
import json
import random
import sys
import time

import jwt

from diff_common import Report, run_harness

KEY = b"portcullis-fuzz-key-0123456789ab"
STRUCTURE = (jwt.exceptions.DecodeError, jwt.exceptions.InvalidAlgorithmError, jwt.exceptions.InvalidKeyError)
# Where we refuse what PyJWT accepts, on purpose.
STRICTER = {
    "duplicate member", "crit", "unknown kid", "padding", "non-canonical base64", "non-alphabet byte", "extra part",
    "NaN or Infinity", "lone surrogate", "nesting deeper than 32", "BOM or UTF-16", "string NumericDate", "empty sub",
    "empty aud", "invalid UTF-8", "bool NumericDate", "non-string kid", "number beyond a Double",
}
# Where we accept what PyJWT refuses, on purpose.
MORE_PERMISSIVE = {"numeric jti"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(signing_input, key=KEY):
    return b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def json_text(value, rng):
    separators = rng.choice([(",", ":"), (", ", ": "), (" ,", " :\t")])
    return json.dumps(value, separators=separators, ensure_ascii=rng.random() < 0.5)


def make_case(rng, now):
    labels = set()
    header = {"alg": "HS256", "typ": "JWT"}
    roll = rng.random()
    if roll < 0.5:
        header["kid"] = "k1"
    elif roll < 0.55:
        header["kid"] = "k2"
        labels.add("unknown kid")
    elif roll < 0.57:
        header["kid"] = 7
        labels.add("non-string kid")
    if rng.random() < 0.06:
        header["alg"] = rng.choice(["none", "HS512", "hs256", "RS256", "", "HS256 "])
    if rng.random() < 0.04:
        header.pop("alg")
    if rng.random() < 0.04:
        header["crit"] = rng.choice([["exp"], [], ["b64"]])
        labels.add("crit")
    claims = {"exp": now + rng.choice([3600, 86400, 10**9])}
    if rng.random() < 0.7:
        claims["sub"] = rng.choice(["alice", "b\u00f6b", "\u65e5\u672c", "x" * 40, "a\"b\\c", "tab\there"])
    if rng.random() < 0.03:
        claims["sub"] = ""
        labels.add("empty sub")
    if rng.random() < 0.03:
        claims["sub"] = rng.choice([1, None, ["a"]])
    if rng.random() < 0.1:
        claims["exp"] = now - rng.choice([3600, 10**6])
    if rng.random() < 0.03:
        claims["exp"] = str(claims["exp"])
        labels.add("string NumericDate")
    if rng.random() < 0.02:
        claims["exp"] = True
    if rng.random() < 0.03:
        claims["exp"] = claims["exp"] + 0.5 if isinstance(claims["exp"], int) else claims["exp"]
    if rng.random() < 0.02:
        claims.pop("exp")
    if rng.random() < 0.15:
        claims["nbf"] = now + rng.choice([-3600, 3600])
    if rng.random() < 0.15:
        claims["iat"] = now + rng.choice([-60, -86400, 3600])
    if rng.random() < 0.05:
        claims["aud"] = rng.choice(["api", ["api", "web"], "", []])
        if claims["aud"] in ("", []):
            labels.add("empty aud")
    if rng.random() < 0.1:
        claims["jti"] = rng.choice(["id-1", 42, 4.5])
        if isinstance(claims["jti"], int):
            labels.add("numeric jti")
    if rng.random() < 0.2:
        claims["scope"] = "read write"
        claims["groups"] = ["a", "b", {"nested": [1, 2.5, -0.0, 1e20, None, True]}]
    if rng.random() < 0.03:
        deep = []
        for _ in range(40):
            deep = [deep]
        claims["deep"] = deep
        labels.add("nesting deeper than 32")
    header_text, claims_text = json_text(header, rng), json_text(claims, rng)

    roll = rng.random()
    if roll < 0.04:
        claims_text = claims_text[:-1] + ',"exp":' + str(now + 60) + "}"
        labels.add("duplicate member")
    elif roll < 0.06:
        header_text = header_text[:-1] + ',"alg":"HS256"}'
        labels.add("duplicate member")
    elif roll < 0.08:
        claims_text = claims_text[:-1] + ',"x":' + rng.choice(["NaN", "Infinity", "-Infinity"]) + "}"
        labels.add("NaN or Infinity")
    elif roll < 0.09:
        claims_text = claims_text[:-1] + ',"x":"\\ud800"}'
        labels.add("lone surrogate")
    elif roll < 0.10:
        claims_text = claims_text[:-1] + ",}"
    elif roll < 0.11:
        claims_text = claims_text[:-1] + ',"x":01}'
    elif roll < 0.12:
        claims_text = claims_text[:-1] + ',"x":1e400}'
        labels.add("number beyond a Double")
    elif roll < 0.13:
        claims_text = rng.choice(["[]", "null", '"x"', "1", ""])
    claims_bytes = claims_text.encode("utf-8", "surrogatepass")
    header_bytes = header_text.encode()
    roll = rng.random()
    if roll < 0.02:
        claims_bytes = b"\xef\xbb\xbf" + claims_bytes
        labels.add("BOM or UTF-16")
    elif roll < 0.03:
        claims_bytes = claims_text.encode("utf-16-le")
        labels.add("BOM or UTF-16")
    elif roll < 0.04:
        claims_bytes = claims_bytes[:-1] + b',"x":"\xff"}'
        labels.add("invalid UTF-8")

    signing_input = b64(header_bytes) + "." + b64(claims_bytes)
    signature = sign(signing_input, KEY if rng.random() < 0.9 else b"another-key-of-thirty-two-bytes!")
    token = signing_input + "." + signature
    roll = rng.random()
    parts = token.split(".")
    if roll < 0.03:
        index = rng.randrange(3)
        parts[index] += "=" * rng.randint(1, 2)
        labels.add("padding")
        token = ".".join(parts)
    elif roll < 0.06:
        # Flip the low bits of the last symbol: PyJWT's decoder ignores them.
        index = rng.randrange(3)
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        if len(parts[index]) % 4 in (2, 3) and parts[index]:
            last = alphabet.index(parts[index][-1])
            parts[index] = parts[index][:-1] + alphabet[last ^ (1 if len(parts[index]) % 4 == 3 else 3)]
            labels.add("non-canonical base64")
        token = ".".join(parts)
    elif roll < 0.08:
        index = rng.randrange(3)
        position = rng.randrange(len(parts[index]) + 1)
        parts[index] = parts[index][:position] + rng.choice(["!", " ", "+", "/", "*", "\n"]) + parts[index][position:]
        labels.add("non-alphabet byte")
        token = ".".join(parts)
    elif roll < 0.10:
        extra = b64(b'{"a":1}')
        token = f"{parts[0]}.{parts[1]}.{extra}." + sign(f"{parts[0]}.{parts[1]}.{extra}")
        labels.add("extra part")
    elif roll < 0.12:
        token = rng.choice([".".join(parts[:2]), parts[0], token + ".", "." + token, token[:-1], token[:-5]])
    elif roll < 0.13:
        token = f"{parts[0]}.{parts[1]}."
    return token, labels


def pyjwt_verdict(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"require": ["exp"]}, leeway=0)
        return "accept", claims
    except STRUCTURE as error:
        return "structure", repr(error)
    except Exception as error:  # noqa: BLE001 — every other refusal is about the claims
        return "claims", repr(error)


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7519)
    now = int(time.time())
    cases = [make_case(rng, now) for _ in range(count)]
    report = Report(f"jwt (PyJWT {jwt.__version__})")
    for (token, labels), verdict in zip(cases, run_harness(binary, [[token] for token, _ in cases])):
        report.cases += 1
        reference, detail = pyjwt_verdict(token)
        ours = verdict[0]
        if reference == "structure" and ours == "accept":
            report.divergence(token, verdict, detail)
        elif reference == "accept" and ours == "accept":
            if json.loads(verdict[1]) != json.loads(json.dumps(detail)):
                report.divergence(token, verdict, detail)
        elif reference == "accept":
            stricter = sorted(labels & STRICTER)
            if stricter:
                report.intended_difference("we refuse: " + stricter[0])
            else:
                report.divergence(token, verdict, "PyJWT accepts")
        elif ours == "accept":
            permissive = sorted(labels & MORE_PERMISSIVE)
            if permissive:
                report.intended_difference("we accept: " + permissive[0])
            else:
                report.divergence(token, verdict, detail)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
