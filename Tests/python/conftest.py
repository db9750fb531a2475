# conftest.py: pytest hooks for Tests/python: prints the summaries tests record (the fuzz batch's counts) at the end.
import kiln_helpers


def pytest_terminal_summary(terminalreporter):
    for line in kiln_helpers.SUMMARIES:
        terminalreporter.write_line(line)
