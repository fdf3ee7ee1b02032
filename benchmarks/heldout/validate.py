import json, sys, glob, collections
SIGNALS = ["service_offer","apology","ownership","blame_shifting","commitment","overpromise","empathy",
           "gratitude","transparency","extra_mile","trust_extension","deflection","dismissive",
           "customer_distrust","customer_praise"]
ROLES = {"agent","bot","customer","system"}
AGENT_ONLY = set(SIGNALS) - {"gratitude","customer_distrust","customer_praise"}
TARGETS = {"customer","colleague","third_party","system","unspecified"}
errors = 0
def err(m):
    global errors; errors += 1; print("ERROR", m)
total = collections.Counter(); ids = set()
for path in sorted(glob.glob("/work/main/benchmarks/heldout/*.jsonl")):
    lang = path.rsplit("/",1)[1][:-6]
    counts = collections.Counter(); tgt = collections.Counter(); n = 0
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        try: c = json.loads(line)
        except Exception as e: err(f"{path}:{ln} parse {e}"); continue
        n += 1; cid = c.get("id")
        if cid in ids: err(f"dup id {cid}")
        ids.add(cid)
        if c.get("language") != lang: err(f"{cid} language")
        if c.get("channel") not in {"chat","email","call"}: err(f"{cid} channel")
        if not c.get("domain"): err(f"{cid} domain")
        turns = c["turns"]
        if not 6 <= len(turns) <= 14: err(f"{cid} has {len(turns)} turns")
        for t in turns:
            if t.get("role") not in ROLES: err(f"{cid} role {t.get('role')}")
            if not t.get("text"): err(f"{cid} empty text")
        seen = set()
        for lab in c["labels"]:
            i, s, ev = lab["turn"], lab["signal"], lab.get("evidence", "")
            if s not in SIGNALS: err(f"{cid} bad signal {s}"); continue
            if not 0 <= i < len(turns): err(f"{cid} bad turn {i}"); continue
            role = turns[i]["role"]
            if role == "system": err(f"{cid} label on system turn {i}")
            if s in AGENT_ONLY and role not in {"agent","bot"}: err(f"{cid} {s} on {role} turn {i}")
            if s in {"customer_distrust","customer_praise"} and role != "customer": err(f"{cid} {s} on {role} turn {i}")
            if not ev or ev not in turns[i]["text"]: err(f"{cid} turn {i} {s}: evidence not substring: {ev!r}")
            if s == "blame_shifting":
                if lab.get("target") not in TARGETS: err(f"{cid} turn {i} blame without valid target")
                else: tgt[lab["target"]] += 1
            elif "target" in lab: err(f"{cid} target on non-blame label")
            if (i, s) in seen: err(f"{cid} duplicate pair ({i},{s})")
            seen.add((i, s))
            counts[s] += 1
    total.update(counts)
    missing = [s for s in SIGNALS if not counts[s]]
    print(f"\n== {lang}: {n} conversations, {sum(counts.values())} labels; blame targets {dict(tgt)}")
    print("   " + ", ".join(f"{s}={counts[s]}" for s in SIGNALS))
    if missing: print("   MISSING:", missing)
print(f"\n== all: {len(ids)} conversations, {sum(total.values())} labels")
print("   " + ", ".join(f"{s}={total[s]}" for s in SIGNALS))
print("errors:", errors); sys.exit(1 if errors else 0)
