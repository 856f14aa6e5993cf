#!/usr/bin/env python3
"""Writes distinct Stripe `invoice.paid` deliveries, signed as Stripe signs them, one per line:
`<Stripe-Signature header>\t<compact JSON body>`, for scripts/bench/deliveries.lua to send with wrk.

Usage: signed_requests.py OUT COUNT --run NAME [--customers 500] [--referred 100] [--secret S] [--bad]
Customer n pays from billing@client<n>.example; the benchmark refers clients 0 to referred-1.
`--bad` signs with a wrong secret (a flood of refusals). Signatures carry the current time: send
them within Stripe's 300-second tolerance.
"""
import argparse, hashlib, hmac, json, os, random, sys, time

here = os.path.dirname(os.path.abspath(__file__))
template = json.load(open(os.path.join(here, "..", "..", "fixtures", "stripe", "invoice.paid.json")))

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("count", type=int)
parser.add_argument("--run", required=True, help="makes event and invoice ids distinct across files")
parser.add_argument("--customers", type=int, default=500)
parser.add_argument("--secret", default="whsec_benchmark")
parser.add_argument("--bad", action="store_true")
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

rng = random.Random(f"{args.run}-{args.seed}")
key = (args.secret + ("-wrong" if args.bad else "")).encode()
now = int(time.time())
start = 1735689600  # 2025-01-01
with open(args.out, "w") as out:
    for index in range(args.count):
        customer = rng.randrange(args.customers)
        paid_at = start + rng.randrange(365 * 86400)
        event = json.loads(json.dumps(template))
        invoice = event["data"]["object"]
        event["id"] = f"evt_{args.run}_{index}"
        event["created"] = paid_at
        invoice["id"] = f"in_{args.run}_{index}"
        invoice["customer"] = f"cus_bench{customer}"
        invoice["customer_email"] = f"billing@client{customer}.example"
        invoice["customer_name"] = f"Client {customer}"
        invoice["status_transitions"]["paid_at"] = paid_at
        body = json.dumps(event, separators=(",", ":"))
        signed = hmac.new(key, f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
        out.write(f"t={now},v1={signed}\t{body}\n")
