"""Keep each claim's search document in step with what it is built from."""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Citation, Claim, Source, Speaker, refresh_search_documents


@receiver(post_save, sender=Claim)
def claim_saved(sender, instance, **kwargs):
    refresh_search_documents([instance.pk])


@receiver(post_save, sender=Citation)
@receiver(post_delete, sender=Citation)
def citation_changed(sender, instance, **kwargs):
    refresh_search_documents([instance.claim_id])


@receiver(post_save, sender=Source)
def source_saved(sender, instance, raw=False, **kwargs):
    if not raw:  # while loading a fixture, its claims come later
        refresh_search_documents(Claim.objects.filter(citations__source=instance).values("pk"))


@receiver(post_save, sender=Speaker)
def speaker_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_search_documents(
            Claim.objects.filter(Q(speaker=instance) | Q(speaking_for=instance)).values("pk")
        )
