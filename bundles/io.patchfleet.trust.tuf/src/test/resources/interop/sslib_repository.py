"""Writes a small TUF repository signed with securesystemslib (Debian's python3-securesystemslib).

usage: /usr/bin/python3 sslib_repository.py OUTDIR

An ed25519 and an ECDSA P-256 key, both generated here; key objects as securesystemslib
lists them (with its 'keyid_hash_algorithms' field) under the key ids it computes. Root (both
keys, threshold 2), targets (ed25519), snapshot (ecdsa), timestamp (both, threshold 2), one
target file, and 'tricky.json': a document of awkward strings signed by both keys. Prints the
key ids, one per line, for the Java side to compare.
"""
import hashlib
import json
import os
import sys

from securesystemslib import formats, keys

EXPIRES = "2099-01-01T00:00:00Z"


def key_object(key):
    return keys.format_keyval_to_metadata(key["keytype"], key["scheme"], {"public": key["keyval"]["public"]})


def envelope(signed, *signers):
    data = formats.encode_canonical(signed).encode("utf-8")
    sigs = [keys.create_signature(k, data) for k in signers]
    # The file itself in canonical form too; control characters escaped (json.dumps does, with ensure_ascii off).
    return json.dumps({"signatures": sigs, "signed": signed}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def meta(content, version):
    return {"version": version, "length": len(content),
            "hashes": {"sha256": hashlib.sha256(content).hexdigest(), "sha512": hashlib.sha512(content).hexdigest()}}


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)


def main(out):
    ed = keys.generate_ed25519_key()
    ec = keys.generate_ecdsa_key()
    # The key id securesystemslib computed must be the SHA-256 of the canonical key object it lists.
    for k in (ed, ec):
        assert hashlib.sha256(formats.encode_canonical(key_object(k)).encode("utf-8")).hexdigest() == k["keyid"]
    md = os.path.join(out, "metadata")
    root = {"_type": "root", "spec_version": "1.0.31", "version": 1, "expires": EXPIRES, "consistent_snapshot": True,
            "keys": {ed["keyid"]: key_object(ed), ec["keyid"]: key_object(ec)},
            "roles": {"root": {"keyids": [ed["keyid"], ec["keyid"]], "threshold": 2},
                      "targets": {"keyids": [ed["keyid"]], "threshold": 1},
                      "snapshot": {"keyids": [ec["keyid"]], "threshold": 1},
                      "timestamp": {"keyids": [ed["keyid"], ec["keyid"]], "threshold": 2}}}
    root_bytes = envelope(root, ed, ec)
    write(os.path.join(md, "1.root.json"), root_bytes)
    write(os.path.join(md, "root.json"), root_bytes)

    module = b"\x7fELF not really a module \x00\xff" * 37
    write(os.path.join(out, "targets", "files", "interop.ko"), module)
    targets = {"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": EXPIRES,
               "targets": {"files/interop.ko": {"length": len(module),
                                                "hashes": {"sha256": hashlib.sha256(module).hexdigest(),
                                                           "sha512": hashlib.sha512(module).hexdigest()}}}}
    targets_bytes = envelope(targets, ed)
    write(os.path.join(md, "1.targets.json"), targets_bytes)
    write(os.path.join(md, "targets.json"), targets_bytes)

    snapshot = {"_type": "snapshot", "spec_version": "1.0.31", "version": 1, "expires": EXPIRES,
                "meta": {"targets.json": meta(targets_bytes, 1)}}
    snapshot_bytes = envelope(snapshot, ec)
    write(os.path.join(md, "1.snapshot.json"), snapshot_bytes)
    write(os.path.join(md, "snapshot.json"), snapshot_bytes)

    timestamp = {"_type": "timestamp", "spec_version": "1.0.31", "version": 1, "expires": EXPIRES,
                 "meta": {"snapshot.json": meta(snapshot_bytes, 1)}}
    write(os.path.join(md, "timestamp.json"), envelope(timestamp, ed, ec))

    tricky = {"_type": "interop", "spec_version": "1.0.31",
              "strings": ["plain", "quote \" inside", "back\\slash", "\\\"", "tab\there", "new\nline", "\u0001ctl",
                          "caf\u00e9", "\u65e5\u672c\u8a9e", "emoji \U0001F600", "\u2028sep", "/slash/", "", "{}[],:"],
              "nested": {"b": [1, -2, 0, 9007199254740993, True, False, None, {"z": [], "a": {}}],
                         "a\u00e9": "x", "a\U0001F600": "after astral", "\uffff": "bmp max", "A": "upper"}}
    write(os.path.join(out, "tricky.json"), envelope(tricky, ed, ec))
    print(ed["keyid"])
    print(ec["keyid"])


if __name__ == "__main__":
    main(sys.argv[1])
