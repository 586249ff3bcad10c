"""A console closed before its reused modals were composed leaves nothing behind: the worker that
composes them makes its coroutine only when it starts (a coroutine made up front and never started
was reported "never awaited" at exit)."""

import gc
import warnings

from tests.support.console_fakes import make_app


async def test_a_console_closed_before_its_modals_were_built_leaves_no_unawaited_coroutine() -> None:
    app = make_app()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with app.run_test(size=(80, 24)):
            app.prebuild_modals()
            app.exit()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)], [str(w.message) for w in caught]
