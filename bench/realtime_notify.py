"""Import one new 博雅 course the way the scheduler does, in its own process: insert
the activity, `notify(4, followers, activity=...)`, commit. Prints the wall-clock time just
before the commit (the pushes go out through Redis right after it) and the notice id."""

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["SOCKETIO_ASYNC_MODE"] = "threading"

from sqlalchemy import select

from reedsailing import create_app
from reedsailing.core.timeutil import now
from reedsailing.extensions import db, socketio
from reedsailing.models import Activity, Address, User
from reedsailing.models.blocks import BOYA
from reedsailing.seed import system_user

app = create_app()
# Imported after create_app: importing `reedsailing.integrations.mail` (services does) before it
# rebinds the package's `mail` name that create_app uses (foundation quirk, reported).
from reedsailing.messages.services import notify  # noqa: E402

socketio.server.manager.channel = os.environ.get("BENCH_SOCKETIO_CHANNEL", "flask-socketio")

with app.app_context():
    begin = now() + timedelta(days=3)
    activity = Activity(
        name="博雅讲座：基准测试新课程",
        description="realtime benchmark",
        begin_time=begin,
        end_time=begin + timedelta(hours=2),
        contain=200,
        owner_id=system_user().id,
        block_id=BOYA,
        address_id=db.session.scalar(select(Address.id).limit(1)),
        boya_course_id=f"bench-{time.time_ns()}",
    )
    db.session.add(activity)
    db.session.flush()
    followers = db.session.scalars(
        select(User.id).where(User.follow_boya.is_(True), User.is_system.is_(False))
    ).all()
    notice = notify(4, followers, activity=activity, mail=False)
    notice_id = notice.id
    started = time.time()
    db.session.commit()  # the after_commit hook emits one event per follower room through Redis
    pushed = time.time()
    print(
        json.dumps(
            {"commit_at": started, "pushed_at": pushed, "notice": notice_id, "followers": len(followers)}
        )
    )
