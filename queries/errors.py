"""What a database failure means for a user: the store is unreachable (restarting,
network), or it ran out of room (disk full, temporary-file limit, memory). Both get a
clear sentence instead of a driver's message; nothing was written either way (every
write is one transaction)."""

from __future__ import annotations

from sqlalchemy import exc

UNAVAILABLE = ("ฐานข้อมูลไม่พร้อมใช้งานชั่วคราว โปรดลองอีกครั้งในอีกสักครู่",
               "The database is unavailable for a moment; please try again shortly.")
NO_ROOM = ("ฐานข้อมูลมีพื้นที่ไม่พอสำหรับงานนี้ จึงไม่ได้บันทึกสิ่งใด",
           "The database ran out of room for this work (disk or temporary space); "
           "nothing was written.")
# SQLSTATE class 08: connection exceptions; 57P01-57P03: the server is shutting down,
# restarting or cannot connect now
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")
# 53100 disk_full, 53200 out_of_memory, 53400 configuration_limit_exceeded (temp_file_limit)
_NO_ROOM_STATES = ("53100", "53200", "53400")


def _sqlstate(err: BaseException) -> str:
    """The SQLSTATE of a SQLAlchemy-wrapped or a raw psycopg error (COPY uses the raw
    connection)."""
    return getattr(getattr(err, "orig", None), "sqlstate", None) or \
        getattr(err, "sqlstate", None) or ""


def database_unavailable(err: BaseException) -> bool:
    if not isinstance(err, exc.DBAPIError):
        return False
    state = _sqlstate(err)
    return err.connection_invalidated or isinstance(err, exc.InterfaceError) or \
        state.startswith(_UNAVAILABLE_STATES) or (
            isinstance(err, exc.OperationalError) and not state)


def database_out_of_room(err: BaseException) -> bool:
    return _sqlstate(err) in _NO_ROOM_STATES
