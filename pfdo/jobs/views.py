"""The page of one background job: its progress while it runs (refreshed by htmx) and its
result when done."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from pfdo.jobs import selectors
from pfdo.jobs.models import Job


class JobView(LoginRequiredMixin, View):
    template_name = "jobs/job.html"

    def get(self, request, pk):
        job = get_object_or_404(Job.objects.for_user(request.user), pk=pk)
        htmx = getattr(request, "htmx", None)
        partial = bool(htmx) and not htmx.history_restore_request
        context = {
            "job": job,
            "label": selectors.label(job),
            "summary": selectors.summary(job),
            "back": job.params.get("back", ""),
        }
        template = self.template_name + ("#job-block" if partial else "")
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response


def to_job(request, job):
    """To the page of the job just started (or joined): a redirect, or for htmx the browser's
    own navigation (a fragment swap would put the whole job page inside the form)."""
    url = reverse("jobs:detail", args=[job.pk])
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return HttpResponseClientRedirect(url)
    return redirect(url)
