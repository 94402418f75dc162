#!/usr/bin/env python3
"""Writes an OCI image layout, as one tar file, from a root filesystem folder.

One gzip layer, an image config and a manifest, each stored under its sha256 digest, and an
index naming the image. The layer is reproducible (sorted entries, root-owned, mtime 0, gzip
without a timestamp), so the same inputs give the same digests and a re-import is a no-op.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import tarfile
import tempfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def normalize(info):
    # Owner, group and time would otherwise change the digest from one build to the next.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def write_layer(rootfs, tmp):
    """Returns (diff_id, digest, size, path of the gzip blob)."""
    raw_path = os.path.join(tmp, "layer.tar")
    with tarfile.open(raw_path, "w", format=tarfile.PAX_FORMAT) as tar:
        for top, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(top, name)
                arc = os.path.relpath(path, rootfs)
                tar.add(path, arcname=arc, recursive=False, filter=normalize)
    gz_path = os.path.join(tmp, "layer.tar.gz")
    raw_hash = hashlib.sha256()
    with open(raw_path, "rb") as src, open(gz_path, "wb") as dst_file:
        with gzip.GzipFile(fileobj=dst_file, mode="wb", mtime=0, compresslevel=6) as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                raw_hash.update(chunk)
                dst.write(chunk)
    os.unlink(raw_path)
    gz_hash = hashlib.sha256()
    with open(gz_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            gz_hash.update(chunk)
    return "sha256:" + raw_hash.hexdigest(), "sha256:" + gz_hash.hexdigest(), os.path.getsize(gz_path), gz_path


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rootfs", required=True)
    p.add_argument("--ref", required=True, help="full image name, e.g. docker.io/local/app:v1")
    p.add_argument("--out", required=True, help="the layout tar to write")
    p.add_argument("--entrypoint", default="[]", help="JSON array")
    p.add_argument("--cmd", default="[]", help="JSON array")
    p.add_argument("--workdir", default="/")
    p.add_argument("--env", action="append", default=[])
    a = p.parse_args()

    tmp = tempfile.mkdtemp(prefix="oci-", dir=os.path.dirname(os.path.abspath(a.out)))
    try:
        diff_id, layer_digest, layer_size, layer_path = write_layer(a.rootfs, tmp)
        config = {
            "architecture": ARCH,
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": {
                "Entrypoint": json.loads(a.entrypoint) or None,
                "Cmd": json.loads(a.cmd) or None,
                "Env": a.env,
                "WorkingDir": a.workdir,
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "cluster/image.sh"}],
        }
        config_digest, config_bytes = blob(json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config_bytes)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest, "size": layer_size}],
        }
        manifest_digest, manifest_bytes = blob(json.dumps(manifest, sort_keys=True).encode())
        tag = a.ref.rsplit(":", 1)[1] if ":" in a.ref.rsplit("/", 1)[-1] else "latest"
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": manifest["mediaType"], "digest": manifest_digest,
                "size": len(manifest_bytes), "platform": {"architecture": ARCH, "os": "linux"},
                # containerd's importer names the image from the first; the second is the OCI tag.
                "annotations": {"io.containerd.image.name": a.ref,
                                "org.opencontainers.image.ref.name": tag},
            }],
        }

        def add_bytes(tar, name, data):
            info = normalize(tarfile.TarInfo(name))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        part = a.out + ".partial"
        with tarfile.open(part, "w") as tar:
            add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add_bytes(tar, "index.json", json.dumps(index, sort_keys=True).encode())
            add_bytes(tar, "blobs/sha256/" + config_digest[7:], config_bytes)
            add_bytes(tar, "blobs/sha256/" + manifest_digest[7:], manifest_bytes)
            tar.add(layer_path, arcname="blobs/sha256/" + layer_digest[7:], filter=normalize)
        os.replace(part, a.out)
        print(json.dumps({"ref": a.ref, "manifest": manifest_digest, "config": config_digest,
                          "layer": layer_digest, "layerBytes": layer_size}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
