#!/usr/bin/env python3
"""Checks Protos/ against the compiled stubs that the clients ship, message by message and
field by field (number, name, type, label, oneof, message/enum type), plus the RPCs:
inference.* against tritonclient's grpc_service.proto, grpc.health.v1.* against
grpcio-health-checking's. Exits 1 on any difference; messages and RPCs only the clients
have (Triton's extensions) are listed, not counted.

    pip install 'tritonclient[grpc]' grpcio-tools grpcio-health-checking
    python3 scripts/codegen/crosscheck_protos.py

Our files are compiled to a descriptor set and loaded into a pool of their own, so the
names do not clash with tritonclient's in protobuf's default pool.
"""
import os
import subprocess
import sys
import tempfile
from importlib.metadata import version

from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2
from tritonclient.grpc import service_pb2 as triton_pb2

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROTOS = ["inference/grpc_predict_v2.proto", "grpc/health/v1/health.proto"]


def our_pool():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "protos.desc")
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={ROOT}/Protos",
                        "--include_imports", f"--descriptor_set_out={out}", *PROTOS], check=True)
        files = descriptor_pb2.FileDescriptorSet.FromString(open(out, "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)
    return pool


def messages(file):
    found = {}

    def walk(message):
        found[message.full_name] = message
        for nested in message.nested_types:
            walk(nested)

    for message in file.message_types_by_name.values():
        walk(message)
    return found


def signature(field):
    typename = (field.message_type or field.enum_type)
    return (field.name, field.type, typename.full_name if typename else "",
            "repeated" if field.is_repeated else "single",
            field.containing_oneof.name if field.containing_oneof else "", field.json_name)


def compare(ours, theirs, label):
    problems = 0
    mine, other = messages(ours), messages(theirs)
    print(f"== {ours.name} ({len(mine)} messages) against {label}: {theirs.name} ({len(other)} messages)")
    for name, message in sorted(mine.items()):
        if name not in other:
            print(f"  MISSING from theirs: {name}")
            problems += 1
            continue
        a = {f.number: signature(f) for f in message.fields}
        b = {f.number: signature(f) for f in other[name].fields}
        if a == b:
            print(f"  ok   {name}: " + ", ".join(f"{s[0]}={n}" for n, s in sorted(a.items())))
        else:
            for number in sorted(set(a) | set(b)):
                if a.get(number) != b.get(number):
                    print(f"  DIFF {name} #{number}: ours {a.get(number)}, theirs {b.get(number)}")
                    problems += 1
        for enum in message.enum_types:
            their_enum = other[name].enum_types_by_name.get(enum.name)
            a = [(v.name, v.number) for v in enum.values]
            b = [(v.name, v.number) for v in their_enum.values] if their_enum else None
            print(f"  {'ok  ' if a == b else 'DIFF'} enum {enum.full_name}: {a}")
            problems += a != b
    print(f"  messages only theirs ({len(set(other) - set(mine))}): "
          + ", ".join(sorted(set(other) - set(mine))))
    for service in ours.services_by_name.values():
        their_service = theirs.services_by_name.get(service.name)
        for method in service.methods:
            their_method = their_service and their_service.methods_by_name.get(method.name)
            key = lambda m: (m.input_type.full_name, m.output_type.full_name,
                             m.client_streaming, m.server_streaming)
            same = bool(their_method) and key(method) == key(their_method)
            print(f"  {'ok  ' if same else 'DIFF'} rpc /{service.full_name}/{method.name}")
            problems += not same
        extra = [m.name for m in their_service.methods if m.name not in service.methods_by_name]
        print(f"  rpcs only theirs ({len(extra)}): {', '.join(extra)}")
    return problems


pool = our_pool()
problems = compare(pool.FindFileByName(PROTOS[0]), triton_pb2.DESCRIPTOR,
                   f"tritonclient {version('tritonclient')}")
problems += compare(pool.FindFileByName(PROTOS[1]), health_pb2.DESCRIPTOR,
                    f"grpcio-health-checking {version('grpcio-health-checking')}")
print("no differences" if problems == 0 else f"{problems} differences")
sys.exit(1 if problems else 0)
