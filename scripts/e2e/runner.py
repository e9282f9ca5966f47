"""The test loop the client scripts share: each test whose name contains `only` is called with
`arguments`; a PASS or FAIL line each (with the traceback), then the closing count; the exit
code is 1 if any failed."""
import traceback


def _selected(tests, only):
    return [test for test in tests if only in test.__name__]


def _outcome(name, error):
    print(f"{'FAIL' if error else 'PASS'} {name}")
    if error:
        traceback.print_exception(error)
    return 1 if error else 0


def _summary(selected, failures):
    print(f"\n{len(selected) - failures} passed, {failures} failed")
    return 1 if failures else 0


def run(tests, *arguments, only="", prefix=""):
    selected, failures = _selected(tests, only), 0
    for test in selected:
        try:
            test(*arguments)
            failures += _outcome(prefix + test.__name__, None)
        except Exception as error:
            failures += _outcome(prefix + test.__name__, error)
    return _summary(selected, failures)


async def run_async(tests, *arguments, only="", prefix=""):
    selected, failures = _selected(tests, only), 0
    for test in selected:
        try:
            await test(*arguments)
            failures += _outcome(prefix + test.__name__, None)
        except Exception as error:
            failures += _outcome(prefix + test.__name__, error)
    return _summary(selected, failures)
