"""The numbers that bound what a page reads and how long it keeps what it
counted. Several layers need them (the paginator, search, the selectors,
downloads, the benchmark), so they live here, in a module that imports
nothing: a script can read them without setting Django up."""

# The public lists ------------------------------------------------------------

PAGE_SIZES = (25, 50, 100)  # rows a list page may show, chosen by ?per_page=
DEFAULT_PAGE_SIZE = 50
SPEAKER_PAGE_SIZE = 25  # a speaker's statements, a page at a time
SPEAKERS_PAGE_SIZE = 50  # the speakers list
CORRECTIONS_PAGE_SIZE = 50
# A list pages down to this many rows and no further; past it the reader is
# asked to narrow the filters or download the selection.
LIST_MAX_ROWS = 10_000
# Counts that read many rows (a list's total, a speaker's summary, the site's
# counts) are kept this long, and shown with the time they were made.
COUNTS_SECONDS = 600

# Search ----------------------------------------------------------------------

MAX_QUERY_LENGTH = 200  # characters of a query that are read
MAX_QUERY_WORDS = 8  # words of a query that are matched
# How many of the newest matches are ranked for a query: twice the most a
# search shows, so a word in most claims costs a bounded walk, not a score
# for every match (docs/performance.md, "Search").
RANK_WINDOW = 2000
SEARCH_LIMIT = 1000  # matches a search pages through at most
SEARCH_PAGE_SIZE = 20
# A list narrowed to words is read by walking its order and asking each claim
# (about WALK_US microseconds a claim asked) or by gathering every match
# (about GATHER_US a match), whichever costs less for the rows it needs.
WALK_US = 25
GATHER_US = 1

# Pages -----------------------------------------------------------------------

SUGGESTIONS = 10  # names a typeahead offers
PAIRINGS = 10  # latest pairings on a speaker's page, each way
MEMBERS = 100  # members named on an organisation's page; the rest are counted
HOME_PAIRINGS = 6  # latest pairings on the home page

# Downloads -------------------------------------------------------------------

EXPORT_CHUNK = 2000  # rows read per query by a download
XLSX_MAX_ROWS = 1_048_576 - 2  # a sheet's limit, less the header and the note
