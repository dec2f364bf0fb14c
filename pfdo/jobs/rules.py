"""Who may look at jobs: any signed-in user, and `Job.objects.for_user` keeps it to their own."""

import rules

rules.add_perm("jobs.view_job", rules.is_authenticated)
