"""The client's address when the site runs behind one reverse proxy."""


def client_address(request):
    """The address our proxy appended to X-Forwarded-For.

    Earlier entries come from the client and can be forged; the last one was
    written by the proxy itself, so it is the one login lockouts count.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR")
