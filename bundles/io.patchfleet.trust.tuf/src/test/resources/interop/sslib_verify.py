"""Checks Java-signed metadata and Java's canonical JSON with securesystemslib.

usage: /usr/bin/python3 sslib_verify.py DIR

DIR holds, written by the Java side:
  signed.json     an envelope {"signed": …, "signatures": […]} signed by Java keys
  keys.json       {keyid: key object} as Java lists keys in root metadata
  value.json      a JSON value with awkward strings (control characters escaped)
  canonical.bin   Java's canonical JSON bytes of that value
Exits 0 when every signature verifies with securesystemslib.keys.verify_signature, each key
id is the SHA-256 of the canonical key object, a tampered copy fails to verify, and
formats.encode_canonical gives exactly Java's bytes; otherwise prints what differs, exits 1.
"""
import copy
import hashlib
import json
import os
import sys

from securesystemslib import formats, keys


def main(d):
    problems = []
    with open(os.path.join(d, "signed.json"), "rb") as f:
        env = json.loads(f.read().decode("utf-8"))
    with open(os.path.join(d, "keys.json"), "rb") as f:
        key_objects = json.loads(f.read().decode("utf-8"))
    data = formats.encode_canonical(env["signed"]).encode("utf-8")
    tampered = copy.deepcopy(env["signed"])
    tampered["version"] = tampered["version"] + 1
    tampered_data = formats.encode_canonical(tampered).encode("utf-8")
    verified = 0
    for sig in env["signatures"]:
        obj = key_objects[sig["keyid"]]
        computed = hashlib.sha256(formats.encode_canonical(obj).encode("utf-8")).hexdigest()
        if computed != sig["keyid"]:
            problems.append("key id %s is not the SHA-256 of its key object (%s)" % (sig["keyid"], computed))
        key_dict = {"keytype": obj["keytype"], "scheme": obj["scheme"], "keyid": sig["keyid"], "keyval": obj["keyval"]}
        if keys.verify_signature(key_dict, sig, data):
            verified += 1
        else:
            problems.append("signature by %s (%s) does not verify" % (sig["keyid"], obj["scheme"]))
        if keys.verify_signature(key_dict, sig, tampered_data):
            problems.append("signature by %s verifies over tampered data" % sig["keyid"])
    with open(os.path.join(d, "value.json"), "rb") as f:
        value = json.loads(f.read().decode("utf-8"))
    with open(os.path.join(d, "canonical.bin"), "rb") as f:
        java = f.read()
    python = formats.encode_canonical(value).encode("utf-8")
    if python != java:
        at = next((i for i in range(min(len(python), len(java))) if python[i] != java[i]), min(len(python), len(java)))
        problems.append("canonical JSON differs at byte %d: python %r, java %r" % (at, python[at:at + 40], java[at:at + 40]))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("OK %d signatures, %d canonical bytes" % (verified, len(java)))


if __name__ == "__main__":
    main(sys.argv[1])
