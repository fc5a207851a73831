"""schema.org JSON-LD for a claim page: a Claim, inside a ClaimReview when
the claim has been assessed. Dates keep their precision ("2016-02"); restricted
sources never appear."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

from .models import Claim, Speaker

# A 1-5 scale for the assessment, worst first; the words go in alternateName.
RATINGS = {
    Claim.Assessment.REFUTED: 1,
    Claim.Assessment.RETRACTED: 1,
    Claim.Assessment.UNSUPPORTED: 2,
    Claim.Assessment.CONTESTED: 3,
    Claim.Assessment.CORROBORATED: 5,
}

# What json_script escapes, so no text can close the <script> element.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def web_url(url):
    """The address if it is one a reader's browser may follow (http or https)."""
    return url if url.lower().startswith(("http://", "https://")) else None


def _agent(speaker, request):
    if speaker is None:
        return None
    data = {
        "@type": "Person" if speaker.kind == Speaker.Kind.PERSON else "Organization",
        "name": speaker.name,
        "url": request.build_absolute_uri(speaker.get_absolute_url()),
    }
    if web_url(speaker.website):
        data["sameAs"] = speaker.website
    return data


def _appearance(citation, request):
    source = citation.source
    work = {"@type": "CreativeWork"}
    if web_url(source.url):
        work["url"] = source.url
    else:
        work["url"] = request.build_absolute_uri(source.get_absolute_url())
    if source.title:
        work["headline"] = source.title
    if source.published:
        work["datePublished"] = source.published.isoformat()
    if source.publisher:
        work["author"] = _agent(source.publisher, request)
    return work


def claim_data(claim, request):
    data = {
        "@type": "Claim",
        "text": claim.text,
        "url": request.build_absolute_uri(claim.get_absolute_url()),
    }
    if claim.speaker:
        data["author"] = _agent(claim.speaker, request)
    # Only a date the claim was said on (or in) is a publication date; "on
    # or before" and "repeatedly" give bounds, not a date.
    if claim.said_qualifier == Claim.DateQualifier.ON and claim.said:
        data["datePublished"] = claim.said.isoformat()
    appearances = claim.appearances()
    if appearances:
        data["appearance"] = [_appearance(c, request) for c in appearances]
        data["firstAppearance"] = data["appearance"][0]
    return data


def page_data(claim, request):
    item = claim_data(claim, request)
    if claim.assessment == Claim.Assessment.UNASSESSED:
        return {"@context": "https://schema.org", **item}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": item["url"],
        "claimReviewed": claim.text[:500],
        "author": {"@type": "Organization", "name": "Counterclaim"},
        "datePublished": claim.updated_at.date().isoformat(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATINGS[claim.assessment],
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": claim.get_assessment_display(),
        },
        "itemReviewed": item,
    }


def script_content(data):
    """JSON safe to place inside <script type="application/ld+json">."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    # Safe: every character that could end the <script> element is escaped.
    return mark_safe(text.translate(_ESCAPES))  # nosec B308 B703
