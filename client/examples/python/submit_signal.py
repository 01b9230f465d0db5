#!/usr/bin/env python3
"""Submits a signal to KetenHub and reads its status back, over mutual TLS.

A partner integration in Python built from the .proto files alone, with
Debian's python3-grpcio and python3-protobuf. Generate the stubs once:

    protoc -Iproto --python_out=gen --grpc_python_out=gen \\
        --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \\
        proto/ketenhub/v1/signal.proto

then run, with your organisation's certificate:

    PYTHONPATH=gen python3 client/examples/python/submit_signal.py \\
        --hub hub.example:50051 --cert org.pem --key org-key.pem \\
        --ca hub-ca.pem deploy/examples/signal-politie.json

It retries UNAVAILABLE and DEADLINE_EXCEEDED with the same client_ref (the
hub then returns the original receipt, never a second signal), sends a W3C
traceparent, and prints the receipt and status as one JSON object.
"""
import argparse
import json
import secrets
import sys
import time

import grpc
from google.protobuf import json_format

from ketenhub.v1 import signal_pb2, signal_pb2_grpc

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def submit(stub, signal, attempts, deadline_seconds):
    """Returns the receipt, retrying transient failures with backoff."""
    trace = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    backoff = 0.1
    for attempt in range(1, attempts + 1):
        try:
            return stub.Submit(signal_pb2.SubmitRequest(signal=signal),
                               timeout=deadline_seconds,
                               metadata=[("traceparent", trace)])
        except grpc.RpcError as error:
            if error.code() not in RETRYABLE or attempt == attempts:
                raise
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)


def main():
    parser = argparse.ArgumentParser(
        description="Submit a signal (JSON) to KetenHub and show its status.")
    parser.add_argument("signal", help="the signal as JSON, as in deploy/examples/")
    parser.add_argument("--hub", default="127.0.0.1:50051", help="host:port")
    parser.add_argument("--cert", required=True, help="client certificate (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    parser.add_argument("--ca", required=True, help="CA of the hub's certificate")
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--deadline", type=float, default=10.0,
                        help="seconds per attempt")
    args = parser.parse_args()

    try:
        with open(args.signal, encoding="utf-8") as f:
            signal = json_format.Parse(f.read(), signal_pb2.Signal())
    except (OSError, json_format.ParseError) as error:
        print(f"submit_signal: {args.signal}: {error}", file=sys.stderr)
        return 2

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca),
        private_key=read(args.key),
        certificate_chain=read(args.cert))
    with grpc.secure_channel(args.hub, credentials) as channel:
        stub = signal_pb2_grpc.SignalServiceStub(channel)
        try:
            receipt = submit(stub, signal, args.attempts, args.deadline)
            status = stub.GetStatus(
                signal_pb2.GetStatusRequest(signal_id=receipt.signal_id),
                timeout=args.deadline)
        except grpc.RpcError as error:
            print(f"submit_signal: {error.code().name}: {error.details()}",
                  file=sys.stderr)
            return 1
    print(json.dumps({
        "receipt": json_format.MessageToDict(receipt),
        "status": json_format.MessageToDict(status),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
