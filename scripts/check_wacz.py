#!/usr/bin/env python3
"""Independent checks of `glaneur wacz` and `glaneur convert` output (used by scripts/ci-wacz.sh).

  check_wacz.py package SITE_DIR ARCHIVE_DIR FILE.wacz
      every archive/ entry stored; one gzip member per record; each record byte-identical
      (by WARC-Record-ID) to the source .warc.zst record; sha256 and size of every file as
      datapackage.json says, datapackage-digest.json right; no metadata record indexed;
      no 304 (server-not-modified) revisit indexed;
      pages.jsonl lists every article of SITE_DIR/truth.jsonl once, with its title.
  check_wacz.py pywb SITE_DIR WAYBACK_URL COLLECTION N
      N random articles of truth.jsonl replayed by pywb with their titles (env SITE_ORIGIN:
      the origin the site was crawled from).
  check_wacz.py same-records SOURCE_DIR CONVERTED_DIR
      same record count, record ids and payload digests, and byte-identical records.
  check_wacz.py pick SITE_DIR ORIGIN
      prints the absolute URL and title of one article (for the browser test), tab-separated.

Needs warcio and zstandard (PyPI). Source .warc.zst files are decoded with their embedded
dictionary (IIPC WARC-zstd skippable frame), independently of glaneur's reader.
"""
import gzip
import hashlib
import html
import io
import json
import os
import random
import re
import sys
import urllib.request
import zipfile
import zlib

import zstandard
from warcio.archiveiterator import ArchiveIterator

DICT_MAGIC = 0x184D2A5D


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def decode_zst(path):
    data = open(path, "rb").read()
    dict_data = None
    if len(data) >= 8 and int.from_bytes(data[:4], "little") == DICT_MAGIC:
        size = int.from_bytes(data[4:8], "little")
        raw = data[8 : 8 + size]
        if raw[:4] == b"\x28\xb5\x2f\xfd":
            raw = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        dict_data = zstandard.ZstdCompressionDict(raw)
        data = data[8 + size :]
    dctx = zstandard.ZstdDecompressor(dict_data=dict_data) if dict_data else zstandard.ZstdDecompressor()
    return dctx.stream_reader(io.BytesIO(data), read_across_frames=True).read()


def decode(path):
    if path.endswith(".zst"):
        return decode_zst(path)
    if path.endswith(".gz"):
        return gzip.decompress(open(path, "rb").read())
    return open(path, "rb").read()


def split_records(data):
    """Records of decompressed WARC bytes, as (headers dict, raw bytes)."""
    out, pos = [], 0
    while pos < len(data):
        while data[pos : pos + 2] == b"\r\n":
            pos += 2
        if pos >= len(data):
            break
        end = data.index(b"\r\n\r\n", pos) + 4
        head = data[pos:end].decode("utf-8", "replace")
        fields = {}
        for line in head.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                fields.setdefault(k.strip().lower(), v.strip())
        total = end - pos + int(fields["content-length"]) + 4
        out.append((fields, data[pos : pos + total]))
        pos += total
    return out


def gzip_members(data):
    """(offset, length, decompressed) of every gzip member (fed in slices: linear time)."""
    members, pos, view = [], 0, memoryview(data)
    while pos < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out, fed = [], pos
        while not d.eof:
            if fed >= len(data):
                fail(f"truncated gzip member at {pos}")
            chunk = view[fed : fed + 65536]
            fed += len(chunk)
            out.append(d.decompress(chunk))
        used = fed - len(d.unused_data) - pos
        members.append((pos, used, b"".join(out)))
        pos += used
    return members


def warc_files(d, suffixes=(".warc.zst", ".warc.gz", ".warc")):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(suffixes))


def source_records(archive_dir):
    recs = {}
    for f in warc_files(archive_dir):
        for fields, raw in split_records(decode(f)):
            recs[fields["warc-record-id"]] = raw
    return recs


def truth(site_dir):
    return [json.loads(l) for l in open(os.path.join(site_dir, "truth.jsonl"), encoding="utf-8")]


def index_lines(z, names):
    """The CDXJ lines of the package: indexes/index.cdx, or the ZipNum pair
    indexes/index.cdx.gz + indexes/index.idx (never both), every block checked: stored
    entry, one gzip member at the offset and length its .idx line names, SHA-256 right,
    starting with the key named, blocks in order and covering the whole file."""
    plain = "indexes/index.cdx" in names
    zipnum = "indexes/index.cdx.gz" in names
    if plain == zipnum:
        fail(f"expected index.cdx or index.cdx.gz + index.idx, found {names}")
    if plain:
        return z.read("indexes/index.cdx").decode("utf-8").splitlines()
    if z.getinfo("indexes/index.cdx.gz").compress_type != zipfile.ZIP_STORED:
        fail("indexes/index.cdx.gz is not stored")
    data = z.read("indexes/index.cdx.gz")
    idx = z.read("indexes/index.idx").decode("utf-8").splitlines()
    meta = json.loads(idx[0].split(" ", 2)[2]) if idx and idx[0].startswith("!meta 0 ") else fail("no !meta line")
    if meta.get("format") != "cdxj-gzip-1.0" or meta.get("filename") != "index.cdx.gz":
        fail(f"index.idx meta line: {idx[0]}")
    lines, end = [], 0
    for entry in idx[1:]:
        prefix, js = entry.split(" {", 1)
        j = json.loads("{" + js)
        off, length = int(j["offset"]), int(j["length"])
        if off != end:
            fail(f"index.idx: block at {off}, expected {end}")
        block = data[off:off + length]
        if j.get("digest") != "sha256:" + hashlib.sha256(block).hexdigest():
            fail(f"index.idx: digest of the block at {off}")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        text = d.decompress(block).decode("utf-8")
        if not d.eof or d.unused_data:
            fail(f"index.cdx.gz: the block at {off} is not one gzip member")
        block_lines = text.splitlines()
        if not block_lines[0].startswith(prefix + " "):
            fail(f"index.idx: block at {off} starts with {block_lines[0][:80]}, not {prefix}")
        lines += block_lines
        end = off + length
    if end != len(data):
        fail(f"index.cdx.gz: {len(data) - end} bytes after the last block")
    print(f"ZipNum index: {len(idx) - 1} blocks, {len(lines)} lines")
    return lines


def check_package(site_dir, archive_dir, wacz):
    src = source_records(archive_dir)
    z = zipfile.ZipFile(wacz)
    names = z.namelist()
    dp_raw = z.read("datapackage.json")
    dp = json.loads(dp_raw)
    if dp.get("wacz_version") != "1.1.1":
        fail(f"wacz_version {dp.get('wacz_version')}")
    for key in ("software", "created", "title"):
        if not dp.get(key):
            fail(f"datapackage.json has no {key}")
    listed = {r["path"]: r for r in dp["resources"]}
    for name in names:
        if name in ("datapackage.json", "datapackage-digest.json"):
            continue
        data = z.read(name)
        r = listed.get(name) or fail(f"{name} not in datapackage.json")
        if r["hash"] != "sha256:" + hashlib.sha256(data).hexdigest() or r["bytes"] != len(data):
            fail(f"{name}: sha256 or size differs from datapackage.json")
    digest = json.loads(z.read("datapackage-digest.json"))
    if digest["hash"] != "sha256:" + hashlib.sha256(dp_raw).hexdigest():
        fail("datapackage-digest.json does not match datapackage.json")
    members = {}
    seen = 0
    for name in names:
        if not name.startswith("archive/"):
            continue
        if z.getinfo(name).compress_type != zipfile.ZIP_STORED:
            fail(f"{name} is not stored")
        for off, length, record in gzip_members(z.read(name)):
            recs = split_records(record)
            if len(recs) != 1:
                fail(f"{name} at {off}: {len(recs)} records in one gzip member")
            fields, raw = recs[0]
            rid = fields["warc-record-id"]
            if src.get(rid) != raw:
                fail(f"{name} at {off}: record {rid} differs from the source")
            members[(name[len('archive/'):], off)] = (length, fields)
            seen += 1
    if seen != len(src):
        fail(f"{seen} records in the package, {len(src)} in the source")
    lines = index_lines(z, names)
    if lines != sorted(lines):
        fail("index not sorted")
    not_modified = sum(1 for (_, f) in members.values()
                       if f["warc-type"] == "revisit" and f.get("warc-profile", "").endswith("/server-not-modified"))
    for line in lines:
        j = json.loads(line.split(" ", 2)[2])
        length, fields = members.get((j["filename"], int(j["offset"]))) or fail(f"index line points nowhere: {line[:120]}")
        if length != int(j["length"]) or fields["warc-type"] not in ("response", "revisit", "resource"):
            fail(f"bad index line: {line[:120]}")
        if fields["warc-type"] == "revisit" and j.get("status") == "304":
            fail(f"a 304 revisit is indexed (readers replay an empty 304): {line[:120]}")
    pages = [json.loads(l) for l in z.read("pages/pages.jsonl").decode("utf-8").splitlines()]
    if not all(k in pages[0] for k in ("format", "id", "title")):
        fail("pages.jsonl header line")
    by_path = {}
    for p in pages[1:]:
        path = re.sub(r"^https?://[^/]+", "", p["url"])
        if path in by_path:
            fail(f"{path} listed twice in pages.jsonl")
        by_path[path] = p
    articles = truth(site_dir)
    for a in articles:
        p = by_path.get(a["url"]) or fail(f"{a['url']} missing from pages.jsonl")
        if p.get("title") != a["title"]:
            fail(f"{a['url']}: title {p.get('title')!r}, truth {a['title']!r}")
    print(f"package: {len(names)} files, {seen} records byte-identical to the source, "
          f"{len(lines)} index lines (the {not_modified} 304 revisits packaged, not indexed), "
          f"{len(pages) - 1} pages for {len(articles)} articles: all checks passed")


def check_pywb(site_dir, wayback, coll, n):
    articles = truth(site_dir)
    random.seed(17)
    picked = random.sample(articles, min(n, len(articles)))
    base = wayback.rstrip("/")
    origin = os.environ["SITE_ORIGIN"].rstrip("/")
    for a in picked:
        url = f"{base}/{coll}/2100mp_/{origin}{a['url']}"
        raw = urllib.request.urlopen(url, timeout=30).read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:  # the site's ISO-8859-1 articles
            body = raw.decode("cp1252", "replace")
        m = re.search(r"<title>(.*?)</title>", body, re.S)
        shown = html.unescape(m.group(1)) if m else ""
        if a["title"] not in shown:
            fail(f"pywb {url}: title {shown!r}, expected {a['title']!r}")
    print(f"pywb: {len(picked)} random articles replayed from the WACZ with their titles")


def record_summary(path):
    out = []
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            h = rec.rec_headers
            out.append((h.get_header("WARC-Record-ID"), h.get_header("WARC-Payload-Digest"),
                        h.get_header("WARC-Block-Digest")))
    return out


def check_same(source_dir, converted_dir):
    src = warc_files(source_dir)
    total = 0
    for s in src:
        base = re.sub(r"\.warc(\.gz|\.zst)?$", "", os.path.basename(s))
        conv = [c for c in warc_files(converted_dir) if re.sub(r"\.warc(\.gz|\.zst)?$", "", os.path.basename(c)) == base]
        if len(conv) != 1:
            fail(f"{s}: no converted file")
        a, b = split_records(decode(s)), split_records(decode(conv[0]))
        if [r[1] for r in a] != [r[1] for r in b]:
            fail(f"{conv[0]}: records differ from {s}")
        if conv[0].endswith(".gz"):
            # warcio reads the converted file: same ids and digests, record for record.
            ids = [(f.get("warc-record-id"), f.get("warc-payload-digest"), f.get("warc-block-digest")) for f, _ in a]
            if record_summary(conv[0]) != ids:
                fail(f"{conv[0]}: warcio reads other ids or digests")
        total += len(a)
    print(f"same records: {len(src)} files, {total} records byte-identical, digests unchanged")


def pick(site_dir, origin):
    a = sorted(truth(site_dir), key=lambda a: a["id"])[len(truth(site_dir)) // 2]
    print(f"{origin.rstrip('/')}{a['url']}\t{a['title']}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "package":
        check_package(*args)
    elif cmd == "pywb":
        check_pywb(args[0], args[1], args[2], int(args[3]))
    elif cmd == "same-records":
        check_same(*args)
    elif cmd == "pick":
        pick(*args)
    else:
        fail(f"unknown command {cmd}")
