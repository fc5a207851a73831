"""Reader pages: latency and queries, in process and over HTTP, against the raw SQL and Datasette.

    python bench/pages.py --claims 100000 [--seed 1] [--database-url postgres://...]
        [--rounds 30] [--no-http] [--no-datasette] [--wrk-seconds 20] [--profile 3]

The command line of the package bench/pagebench/, which holds the benchmark
(its run module says what each step measures; bench/README.md, what it prints).
"""

from pagebench.run import main

if __name__ == "__main__":
    main()
