# test_fuzz_batch.py: the fixed-seed kiln-fuzz batch `make test` runs: generated kernels on ref, sim, llvm and numpy.
#
# Programs 0..BATCH-1 of campaign FUZZ_SEED (utils/kiln_fuzz) each go through `kiln check`, `kiln verify`
# (ref vs sim vs llvm) and, for whole-tensor kernels, an independent numpy evaluation. The test fails on any
# crash, hang, checker rejection, compile failure or disagreement that is not in KNOWN below. KNOWN lists
# the programs of this batch that still fail because of open bugs of issue 17 whose fix lives in the passes
# or backends; each entry names its class and a piece of the message, and must still fail that way, so a
# fix shows up here as a failure telling you to delete the entry. Nothing else may fail.
import concurrent.futures
import os
import sys

from kiln_helpers import KILN, REPO, SUMMARIES, requires_kiln

sys.path.insert(0, str(REPO / "utils"))
from kiln_fuzz.campaign import input_seed, program_for  # noqa: E402
from kiln_fuzz.runner import AGREED, Runner  # noqa: E402

pytestmark = requires_kiln

FUZZ_SEED = 17
BATCH = 48

# index: (class, substring of the failure's detail, issue 17 item)
KNOWN = {}


def run_one(index):
    program = program_for(FUZZ_SEED, index)
    outcome = Runner(KILN, seed=input_seed(FUZZ_SEED, index), timeout=120).classify(program)
    return index, program, outcome


def test_fuzz_batch():
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(run_one, range(BATCH)))
    unexpected, fixed, agreed = [], [], 0
    for index, program, outcome in results:
        known = KNOWN.get(index)
        if outcome.kind == AGREED:
            agreed += 1
            if known:
                fixed.append(f"program {index} now passes (item {known[2]}): remove it from KNOWN")
        elif not known or known[0] != outcome.kind or known[1] not in outcome.detail:
            unexpected.append(f"program {index}: {outcome.kind}: {outcome.detail}\n{program.render()}")
    SUMMARIES.append(f"kiln-fuzz batch: seed {FUZZ_SEED}, {BATCH} programs, {agreed} agreed, "
          f"{len(KNOWN) - len(fixed)} known failures (issue 17 items), {len(unexpected)} unexpected")
    print(SUMMARIES[-1])
    assert not unexpected, "\n\n".join(unexpected)
    assert not fixed, "\n".join(fixed)
