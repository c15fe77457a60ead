import cProfile, pstats, io
import pytest
from portevoix.planning.tests.test_imports import *  # noqa
from portevoix.planning.tests.test_imports import _immediate_tasks_and_media, owner, channel  # noqa

def test_prof(owner, channel, django_capture_on_commit_callbacks, _immediate_tasks_and_media):
    day = future_day(20)
    lines = "".join(f"{day},{n // 60 % 24:02d}:{n % 60:02d},,Acme news,Post {n},,,,\n" for n in range(3000))
    job = checked(owner, HEADER + lines, django_capture_on_commit_callbacks)
    pr = cProfile.Profile(); pr.enable()
    job = confirmed(owner, job, django_capture_on_commit_callbacks)
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(30); print(s.getvalue()[:6000])

def test_export(owner, team, channel, api_client_for):
    client = api_client_for(owner)
    r = client.get("/api/v1/posts/export", {"start": future_day(), "end": future_day()})
    print(r.content)
