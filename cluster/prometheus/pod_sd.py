#!/usr/bin/env python3
"""Pod discovery for the cluster's Prometheus, served as Prometheus HTTP service discovery.

Debian's prometheus package is built without the Kubernetes service discovery (its
kubernetes_sd_configs is rejected as an unknown field), so this stands in for it: on every GET of
/targets it lists the pods matching a label selector from the apiserver and answers with one
target group per container port, `podIP:port`, carrying the same __meta_kubernetes_* labels that
kubernetes_sd_configs `role: pod` gives. The scrape job's relabel_configs are therefore the ones
a kubernetes_sd job would have (keep, rename, drop), and a Prometheus with Kubernetes discovery
could replace this without touching them.

Prometheus polls it every refresh_interval (1 s), so a pod is a target within about a second of
getting its address; between polls nothing runs. Pods without an address are left out, like
kubernetes_sd does. GET /healthz answers `ok` when the apiserver answered a list just now.

  pod_sd.py --listen 127.0.0.1:PORT --apiserver https://HOST:PORT --ca FILE --token FILE
            [--selector LABEL-SELECTOR]

The token file is read on every request (a refreshed token applies at once). Standard library only.
"""
import argparse
import http.client
import http.server
import json
import re
import ssl
import sys
import threading
import time
import urllib.parse


def log(msg):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} pod_sd: {msg}", file=sys.stderr, flush=True)


def sanitize(name):
    # Prometheus' strutil.SanitizeLabelName: anything but [a-zA-Z0-9_] becomes _.
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def lv(v):
    return "true" if v is True else "false" if v is False else str(v)


def pod_groups(pod):
    """Target groups for one pod, as discovery/kubernetes/pod.go builds them (containers only)."""
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    ip = status.get("podIP")
    if not ip:
        return []
    ready = next((c.get("status") == "True" for c in status.get("conditions", []) if c.get("type") == "Ready"), False)
    common = {
        "__meta_kubernetes_namespace": meta.get("namespace", ""),
        "__meta_kubernetes_pod_name": meta.get("name", ""),
        "__meta_kubernetes_pod_ip": ip,
        "__meta_kubernetes_pod_ready": lv(ready),
        "__meta_kubernetes_pod_phase": status.get("phase", ""),
        "__meta_kubernetes_pod_node_name": spec.get("nodeName", ""),
        "__meta_kubernetes_pod_host_ip": status.get("hostIP", ""),
        "__meta_kubernetes_pod_uid": meta.get("uid", ""),
    }
    owner = next((o for o in meta.get("ownerReferences", []) if o.get("controller")), None)
    if owner:
        common["__meta_kubernetes_pod_controller_kind"] = owner.get("kind", "")
        common["__meta_kubernetes_pod_controller_name"] = owner.get("name", "")
    for k, v in (meta.get("labels") or {}).items():
        common["__meta_kubernetes_pod_label_" + sanitize(k)] = v
        common["__meta_kubernetes_pod_labelpresent_" + sanitize(k)] = "true"
    for k, v in (meta.get("annotations") or {}).items():
        common["__meta_kubernetes_pod_annotation_" + sanitize(k)] = v
        common["__meta_kubernetes_pod_annotationpresent_" + sanitize(k)] = "true"
    groups = []
    for c in spec.get("containers", []):
        for p in c.get("ports") or []:
            port = p.get("containerPort")
            if not port:
                continue
            labels = dict(common)
            labels.update({
                "__meta_kubernetes_pod_container_name": c.get("name", ""),
                "__meta_kubernetes_pod_container_image": c.get("image", ""),
                "__meta_kubernetes_pod_container_init": "false",
                "__meta_kubernetes_pod_container_port_name": p.get("name", ""),
                "__meta_kubernetes_pod_container_port_number": str(port),
                "__meta_kubernetes_pod_container_port_protocol": p.get("protocol", "TCP"),
            })
            groups.append({"targets": [f"{ip}:{port}"], "labels": labels})
    return groups


class Apiserver:
    def __init__(self, url, ca, token_file, selector):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        self.token_file = token_file
        self.path = "/api/v1/pods?" + urllib.parse.urlencode({"labelSelector": selector} if selector else {})
        self.conn = None
        self.lock = threading.Lock()

    def list_pods(self):
        with open(self.token_file, encoding="utf-8") as f:
            token = f.read().strip()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        with self.lock:
            for attempt in (1, 2):  # a kept-alive connection the server closed: one retry on a new one
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=5)
                try:
                    self.conn.request("GET", self.path, headers=headers)
                    res = self.conn.getresponse()
                    body = res.read()
                except (OSError, http.client.HTTPException):
                    self.conn.close()
                    self.conn = None
                    if attempt == 2:
                        raise
                    continue
                if res.status != 200:
                    raise RuntimeError(f"apiserver answered {res.status}: {body[:200]!r}")
                return json.loads(body).get("items", [])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", required=True, help="host:port")
    ap.add_argument("--apiserver", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--token", required=True, help="file holding a bearer token")
    ap.add_argument("--selector", default="", help="label selector for the pod list")
    a = ap.parse_args()
    api = Apiserver(a.apiserver, a.ca, a.token, a.selector)
    state = {"targets": None, "error": None}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, code, body, ctype):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path not in ("/targets", "/healthz"):
                return self.answer(404, "not found\n", "text/plain")
            try:
                pods = api.list_pods()
            except Exception as e:  # noqa: BLE001 - any failure is an answer Prometheus retries
                msg = f"listing pods failed: {e}"
                if state["error"] != msg:
                    log(msg)
                state["error"] = msg
                return self.answer(503, msg + "\n", "text/plain")
            if state["error"]:
                log("listing pods works again")
                state["error"] = None
            if path == "/healthz":
                return self.answer(200, "ok\n", "text/plain")
            groups = [g for p in pods for g in pod_groups(p)]
            summary = sorted(g["targets"][0] for g in groups)
            if summary != state["targets"]:
                log(f"{len(pods)} pods, {len(groups)} container ports: {' '.join(summary) or '-'}")
                state["targets"] = summary
            self.answer(200, json.dumps(groups), "application/json")

        def log_message(self, fmt, *args):  # one line per poll would be one line a second
            pass

    host, port = a.listen.rsplit(":", 1)
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    log(f"serving http://{a.listen}/targets (pods matching '{a.selector}' from {a.apiserver})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
