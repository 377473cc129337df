# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The queue-based link model (mesoscopic traffic) as Cython kernels over struct-of-arrays state.

Every directed edge ``e`` is a first-in-first-out queue of vehicles (a linked list: ``head[e]``,
``tail[e]``, and ``nxt[v]`` the vehicle behind ``v``) with

* a **free-flow time**: a vehicle that entered at ``t`` may leave no earlier than
  ``ready[v] = t + length / min(own top speed, street speed)``;
* a **flow capacity** ``cap[e]`` in vehicles per second: a vehicle may leave while the budget
  ``acc[e]`` is positive, and leaving takes one unit from it (it may go negative); the budget
  refills by ``cap[e] × Δt`` each step and never holds more than ``cap[e] × Δt`` (the flow
  accumulator of MATSim's QSim). So at most ``ceil(cap[e] × Δt)`` vehicles leave in one step, and
  over any ``k`` steps at most ``cap[e] × k × Δt + 1``: fractional capacities (600 veh/h is 0.83
  per 5 s step) are exact in the long run;
* a **storage capacity** ``storage[e]`` (vehicles): a vehicle may enter the next edge only if
  fewer than ``storage`` vehicles are on it — otherwise it waits and the queue spills back
  upstream. A head blocked for ``stuck_s`` seconds is forced on — into the full edge (MATSim's
  stuck time) or, with ``teleport``, to the next edge of its path with space (SUMO's teleport),
  taking the jumped edges' free-flow time: gridlock would otherwise freeze the city; such moves
  are counted in ``forced``.

One step, from ``t0`` to ``t1``, is an event loop over the queue heads in time order: a binary heap
keyed by ``(time the head could leave, edge id)`` holds each edge whose head is ready by ``t1``.
The earliest is popped; its head leaves if the budget and the next edge allow, enters the next
edge (and may cross it too within the same step, as in the free-flow kernel), and the edge's new
head is pushed back. A head that waits for space on a full edge is woken, within the same step,
when a car leaves that edge (so a chain of short edges that store one car each passes cars at
its capacity, not at one per step); a head without outflow budget waits for the next step.
Junction order is thus *first come, first served* with edge id breaking ties: fair (who waited longest goes first) and
deterministic (no random numbers, no dependence on memory layout).

A vehicle's path is ``edge_seq[seq_pos[v] : seq_end[v]]``; it arrives when it reaches the head
of its last edge's queue at its free-flow exit time: it parks, which needs neither outflow
capacity nor space downstream (MATSim lets arriving vehicles leave from the lane the same way),
but it cannot overtake the queue in front of it.

**Lanes.** On an edge with ``L ≥ 2`` lanes a queue head blocked by spillback holds only its own
lane: a car among the ``L − 1`` right behind it that is bound for another edge with space (or
parks on this one) passes it, with the edge's outflow budget, and the next behind may then pass
too (SUMO meso's separate queues per next edge, roughly). On one lane the queue is strictly
first in, first out. Each lane's head has its own stuck time (SUMO meso's queue per lane, each
with its own teleport clock): after a head is forced on, the next is due ``stuck_s / L`` later.

**Departures.** A departing car comes from a parking place beside its first edge. If the edge has
space (and nobody is already waiting beside it) it joins the queue's tail. Otherwise it drives
**beside** the queue (the parking lane, the service road of the blocks of flats) and waits at the
edge's end to merge: it takes no storage on the edge (a car park emptying onto a street must not
block the street's own traffic upstream), and it leaves, first come first served among the
waiting cars, only with the outflow budget that the queue's own vehicles left unused in the step
and only if the next edge has space (as the waiting list of MATSim's QSim: traffic on the road has
priority over cars pulling out). Merges happen at the end of the step (``t1``). A waiting head
blocked for ``stuck_s`` by a full next edge or by a saturated outflow is forced on (counted in
``forced``), one per ``stuck_s`` per edge.
"""
cimport numpy as cnp
from libc.math cimport INFINITY

cnp.import_array()

ctypedef long long i64
ctypedef int i32


cdef inline bint _less(double ta, i32 ea, double tb, i32 eb) noexcept nogil:
    return ta < tb or (ta == tb and ea < eb)


cdef inline void _push(double[::1] ht, i32[::1] he, Py_ssize_t* n, double t, i32 e) noexcept nogil:
    cdef Py_ssize_t i = n[0], p
    n[0] += 1
    while i > 0:
        p = (i - 1) >> 1
        if _less(t, e, ht[p], he[p]):
            ht[i] = ht[p]
            he[i] = he[p]
            i = p
        else:
            break
    ht[i] = t
    he[i] = e


cdef inline bint _append(i32[::1] first, i32[::1] last, i32[::1] nxt, i32 e, i32 v) noexcept nogil:
    """Put vehicle v (its ``nxt`` already -1) at the back of edge e's queue — the road's, or the
    one beside it (``whead``/``wtail``); True when the queue was empty, so v is its head."""
    if last[e] >= 0:
        nxt[last[e]] = v
        last[e] = v
        return False
    first[e] = v
    last[e] = v
    return True


cdef inline void _pop(double[::1] ht, i32[::1] he, Py_ssize_t* n) noexcept nogil:
    cdef Py_ssize_t i = 0, c, m
    cdef double t
    cdef i32 e
    n[0] -= 1
    m = n[0]
    if m == 0:
        return
    t = ht[m]
    e = he[m]
    while True:
        c = 2 * i + 1
        if c >= m:
            break
        if c + 1 < m and _less(ht[c + 1], he[c + 1], ht[c], he[c]):
            c += 1
        if _less(ht[c], he[c], t, e):
            ht[i] = ht[c]
            he[i] = he[c]
            i = c
        else:
            break
    ht[i] = t
    he[i] = e


def enter(const i32[::1] vehicles, double t, const i32[::1] edge_seq, i64[::1] seq_pos,
          double[::1] vmax, const double[::1] edge_len, const double[::1] edge_speed,
          const double[::1] storage,
          i32[::1] head, i32[::1] tail, i32[::1] nxt, i32[::1] occ, double[::1] ready,
          double[::1] entered, i64[::1] entries, i32[::1] busy, i32[::1] listed, Py_ssize_t n_busy,
          i32[::1] whead, i32[::1] wtail, i32[::1] wcount,
          const i64[::1] offsets, i64 base, const double[::1] vmax_in, i64[::1] seq_end,
          double[::1] trip_free_s, double[::1] trip_t0):
    """Put departing vehicles on their first edge at time ``t``, in the given order.

    Vehicle ``vehicles[k]``'s path is ``edge_seq[base + offsets[k] : base + offsets[k + 1]]``
    and its top speed ``vmax_in[k]`` (or ``vmax_in[0]`` for all, if it has one value): they are
    written to ``seq_pos``, ``seq_end`` and ``vmax``, with the trip's start ``trip_t0`` and its
    free-flow time ``trip_free_s``. A vehicle joins the tail of the edge's queue if the edge has
    space and nobody waits beside it; otherwise it joins the edge's waiting list (``whead``,
    ``wtail``, ``wcount``; see the module docstring). Either way it must travel the whole edge
    (``ready``). Edges that become occupied are appended to ``busy``; returns the new ``n_busy``.
    """
    cdef Py_ssize_t k
    cdef i64 q
    cdef i32 v, e
    cdef double sp, free
    cdef bint one_vmax = vmax_in.shape[0] == 1
    with nogil:
        for k in range(vehicles.shape[0]):
            v = vehicles[k]
            seq_pos[v] = base + offsets[k]
            seq_end[v] = base + offsets[k + 1]
            vmax[v] = vmax_in[0] if one_vmax else vmax_in[k]
            trip_t0[v] = t
            free = 0.0
            for q in range(seq_pos[v], seq_end[v]):
                sp = edge_speed[edge_seq[q]]
                if vmax[v] < sp:
                    sp = vmax[v]
                free += edge_len[edge_seq[q]] / sp
            trip_free_s[v] = free
            e = edge_seq[seq_pos[v]]
            sp = edge_speed[e]
            if vmax[v] < sp:
                sp = vmax[v]
            entered[v] = t
            ready[v] = t + edge_len[e] / sp
            nxt[v] = -1
            if whead[e] < 0 and occ[e] < storage[e]:
                _append(head, tail, nxt, e, v)
                occ[e] += 1
            else:                        # full: drive beside the queue and wait to merge
                _append(whead, wtail, nxt, e, v)
                wcount[e] += 1
            if not listed[e]:
                listed[e] = 1
                busy[n_busy] = e
                n_busy += 1
            entries[e] += 1
    return n_busy


def advance(double t0, double t1,
            const i32[::1] edge_seq, i64[::1] seq_pos, const i64[::1] seq_end,
            const double[::1] vmax, const double[::1] edge_len, const double[::1] edge_speed,
            const double[::1] cap, const double[::1] storage, double stuck_s, bint teleport,
            const i32[::1] passing, i64[::1] passed,
            double[::1] acc, double[::1] acc_t, double[::1] blocked_since,
            i32[::1] head, i32[::1] tail, i32[::1] nxt, i32[::1] occ,
            double[::1] ready, double[::1] entered,
            i32[::1] busy, i32[::1] listed, Py_ssize_t n_busy,
            i64[::1] entries, i64[::1] exits, double[::1] time_on, double[::1] free_time,
            i64[::1] forced, i32[::1] left_in_step,
            double[::1] heap_t, i32[::1] heap_e,
            i32[::1] arrived, double[::1] arrived_t,
            i32[::1] whead, i32[::1] wtail, i32[::1] wcount, double[::1] wait_since,
            i32[::1] waiting_for, i32[::1] wfirst, i32[::1] wnext):
    """Advance every queued vehicle from ``t0`` to ``t1`` (absolute seconds).

    Parameters
    ----------
    edge_seq, seq_pos, seq_end
        Flat path buffer, each vehicle's position in it (updated) and its end.
    vmax
        Each vehicle's own top speed in m/s.
    edge_len, edge_speed
        Edge lengths (m) and current street speeds (m/s, > 0).
    passing, passed
        Per edge: how many cars behind a head blocked by spillback may pass it, one at a time, if
        they are bound elsewhere (lanes − 1; 0 on a one-lane edge: strict FIFO), and how many did.
    cap, storage, stuck_s, teleport
        Flow capacity (vehicles/s), storage capacity (vehicles), the stuck time (s), and what a
        head blocked that long does: enter the full next edge anyway (``teleport`` False, as
        MATSim) or jump to the next edge of its path that has space (``teleport`` True, as
        SUMO's teleports). The jumped edges take their free-flow time (the car drives them beside
        the jam: it enters the edge with space that much later, and they count it as a pass at
        free flow); with no space ahead it drives beside the road to its last edge and parks there
        at its free-flow time (it waits in that edge's list of cars beside it, taking no storage).
    acc, acc_t, blocked_since
        Per edge: outflow budget, the time it was last refilled, and since when its head has
        been waiting for space downstream (``inf`` if it is not).
    head, tail, nxt, occ
        The queues: first and last vehicle per edge, the vehicle behind each one, and the
        number of vehicles on each edge.
    ready, entered
        Per vehicle: earliest exit time from its current edge and the time it entered it.
    busy, listed, n_busy
        Edges that hold vehicles (the first ``n_busy``; ``listed[e]`` says whether ``e`` is among
        them): new ones are appended, emptied ones dropped at the end. Length: the number of edges.
    entries, exits, time_on, free_time, forced
        Per-edge statistics (updated): vehicles that entered and left, seconds spent on the edge
        by those who left, the free-flow seconds they would have needed, and how many of its
        heads were forced on after the stuck time.
    left_in_step
        Per edge scratch (all zero on entry, zero on return): vehicles that left in this step.
    heap_t, heap_e
        Scratch of length >= number of edges.
    arrived, arrived_t
        Output: vehicles that left their last edge and when (length >= vehicles).
    waiting_for, wfirst, wnext
        Scratch per edge (all -1 on entry and return): the edge a blocked head waits for, and the
        edges waiting for each edge (a linked list), woken in the same step when a car leaves it.
    whead, wtail, wcount, wait_since
        Per edge: the departing cars waiting beside it to merge (first, last, how many; linked by
        ``nxt``) and since when the first has been held back (``inf`` if it is not).

    Returns
    -------
    (n_busy, n_arrived, max_left_per_step)
        ``max_left_per_step`` is the largest number of vehicles that left one edge in this step.
    """
    cdef Py_ssize_t k, n_heap = 0, n_arr = 0, keep
    cdef i64 p
    cdef i32 e, v, n, h, max_left = 0, w, prev, cur, depth, n2, x, y
    cdef double t, dt = t1 - t0, burst, sp, key, skip = 0.0
    cdef bint force, beside = False
    cdef i64 q
    if not t1 > t0:
        raise ValueError(f"t1 must be > t0, got t0={t0}, t1={t1}")
    if busy.shape[0] < head.shape[0] or heap_t.shape[0] < head.shape[0] or heap_e.shape[0] < head.shape[0]:
        raise ValueError("busy and heap buffers must hold one entry per edge")
    if arrived.shape[0] < nxt.shape[0] or arrived_t.shape[0] < nxt.shape[0]:
        raise ValueError("arrival buffers must hold one entry per vehicle")
    with nogil:
        # refill the outflow budgets of busy edges and seed the heap with heads ready by t1
        for k in range(n_busy):
            e = busy[k]
            burst = cap[e] * dt
            acc[e] += cap[e] * (t1 - acc_t[e])
            if acc[e] > burst:
                acc[e] = burst
            acc_t[e] = t1
            v = head[e]
            if v >= 0 and ready[v] <= t1:
                key = ready[v] if ready[v] > t0 else t0
                _push(heap_t, heap_e, &n_heap, key, e)
        keep = n_busy
        while n_heap > 0:
            t = heap_t[0]
            e = heap_e[0]
            _pop(heap_t, heap_e, &n_heap)
            if acc_t[e] < t1:            # an edge that became busy during this step
                burst = cap[e] * dt
                acc[e] += cap[e] * (t1 - acc_t[e])
                if acc[e] > burst:
                    acc[e] = burst
                acc_t[e] = t1
            v = head[e]
            if seq_pos[v] + 1 >= seq_end[v]:
                n = -1                   # v parks: arriving needs no outflow capacity (as MATSim)
                force = False
            else:
                if acc[e] <= 0.0:
                    continue             # outflow capacity used up for this step
                n = edge_seq[seq_pos[v] + 1]
                force = False
                if occ[n] >= storage[n]:
                    if blocked_since[e] == INFINITY:
                        blocked_since[e] = t
                    if t - blocked_since[e] < stuck_s:
                        # spillback: the head waits for space downstream. On a multi-lane edge a
                        # car among the ``passing[e]`` behind it, bound elsewhere (or parking),
                        # may pass it in another lane (SUMO meso's queues per next edge)
                        w = -1
                        prev = v
                        depth = 0
                        cur = nxt[v]
                        while cur >= 0 and depth < passing[e] and ready[cur] <= t:
                            if seq_pos[cur] + 1 >= seq_end[cur]:
                                w = cur
                                n2 = -1
                                break
                            n2 = edge_seq[seq_pos[cur] + 1]
                            if n2 != n and occ[n2] < storage[n2]:
                                w = cur
                                break
                            prev = cur
                            cur = nxt[cur]
                            depth += 1
                        if w < 0:
                            if waiting_for[e] < 0:      # wake me when a car leaves n
                                waiting_for[e] = n
                                wnext[e] = wfirst[n]
                                wfirst[n] = e
                            continue
                        nxt[prev] = nxt[w]
                        if tail[e] == w:
                            tail[e] = prev
                        occ[e] -= 1
                        x = wfirst[e]                   # space on e: wake the heads waiting for it
                        wfirst[e] = -1
                        while x >= 0:
                            y = wnext[x]
                            waiting_for[x] = -1
                            _push(heap_t, heap_e, &n_heap, t, x)
                            x = y
                        exits[e] += 1
                        passed[e] += 1
                        left_in_step[e] += 1
                        if left_in_step[e] > max_left:
                            max_left = left_in_step[e]
                        time_on[e] += t - entered[w]
                        sp = edge_speed[e]
                        if vmax[w] < sp:
                            sp = vmax[w]
                        free_time[e] += edge_len[e] / sp
                        if n2 < 0:
                            arrived[n_arr] = w
                            arrived_t[n_arr] = t
                            n_arr += 1
                        else:
                            acc[e] -= 1.0
                            seq_pos[w] += 1
                            sp = edge_speed[n2]
                            if vmax[w] < sp:
                                sp = vmax[w]
                            entered[w] = t
                            ready[w] = t + edge_len[n2] / sp
                            nxt[w] = -1
                            entries[n2] += 1
                            if not listed[n2]:
                                listed[n2] = 1
                                busy[keep] = n2
                                keep += 1
                            occ[n2] += 1
                            if _append(head, tail, nxt, n2, w) and ready[w] <= t1:
                                _push(heap_t, heap_e, &n_heap, ready[w], n2)
                        _push(heap_t, heap_e, &n_heap, t, e)     # the next car behind may pass too
                        continue
                    force = True
                    if teleport:         # jump the jam: the next edge of the path with space
                        p = seq_pos[v] + 2
                        while p < seq_end[v] and occ[edge_seq[p]] >= storage[edge_seq[p]]:
                            p += 1
                        if p >= seq_end[v]:
                            p = seq_end[v] - 1   # no space ahead: beside the road to its last edge
                            beside = True
                        # it drives the edges it jumps at free flow, beside the jam (their
                        # storage untouched): the time is in its trip and their statistics
                        for q in range(seq_pos[v] + 1, p):
                            x = edge_seq[q]
                            sp = edge_speed[x]
                            if vmax[v] < sp:
                                sp = vmax[v]
                            skip += edge_len[x] / sp
                            entries[x] += 1
                            exits[x] += 1
                            time_on[x] += edge_len[x] / sp
                            free_time[x] += edge_len[x] / sp
                        seq_pos[v] = p - 1
                        n = edge_seq[p]
            # v leaves e at time t
            if n >= 0 and not beside:    # (beside the road it takes no outflow, as parking)
                acc[e] -= 1.0
            blocked_since[e] = INFINITY
            h = nxt[v]
            if force and h >= 0 and passing[e] > 0:
                # each of the edge's lanes has its own head, each forced after its own stuck
                # time (SUMO meso's queue per lane): the next head is due stuck_s / lanes
                # after this one, and no earlier than it has waited that long itself
                key = t - stuck_s + stuck_s / (passing[e] + 1)
                blocked_since[e] = ready[h] if ready[h] > key else key
            head[e] = h
            if head[e] < 0:
                tail[e] = -1
            occ[e] -= 1
            x = wfirst[e]                       # space on e: wake the heads waiting for it
            wfirst[e] = -1
            while x >= 0:
                y = wnext[x]
                waiting_for[x] = -1
                _push(heap_t, heap_e, &n_heap, t, x)
                x = y
            exits[e] += 1
            left_in_step[e] += 1
            if left_in_step[e] > max_left:
                max_left = left_in_step[e]
            time_on[e] += t - entered[v]
            sp = edge_speed[e]
            if vmax[v] < sp:
                sp = vmax[v]
            free_time[e] += edge_len[e] / sp
            if force:
                forced[e] += 1
            if n < 0:
                arrived[n_arr] = v
                arrived_t[n_arr] = t
                n_arr += 1
            else:
                seq_pos[v] += 1
                sp = edge_speed[n]
                if vmax[v] < sp:
                    sp = vmax[v]
                entered[v] = t + skip
                ready[v] = t + skip + edge_len[n] / sp
                nxt[v] = -1
                entries[n] += 1
                if not listed[n]:
                    listed[n] = 1
                    busy[keep] = n
                    keep += 1
                if beside:               # teleported with no space ahead: parks from beside n
                    _append(whead, wtail, nxt, n, v)
                    wcount[n] += 1
                else:
                    occ[n] += 1
                    if _append(head, tail, nxt, n, v) and ready[v] <= t1:
                        _push(heap_t, heap_e, &n_heap, ready[v], n)
            skip = 0.0
            beside = False
            h = head[e]
            if h >= 0:
                key = ready[h] if ready[h] > t else t
                if key <= t1:
                    _push(heap_t, heap_e, &n_heap, key, e)
        # departing cars waiting beside their first edge merge with the budget left over
        k = 0
        while k < keep:
            e = busy[k]
            k += 1
            while whead[e] >= 0:
                v = whead[e]
                if ready[v] > t1:
                    break
                force = False
                if seq_pos[v] + 1 >= seq_end[v]:
                    n = -1               # its only edge: it parks (no capacity needed)
                    t = ready[v] if ready[v] > t0 else t0
                else:
                    n = edge_seq[seq_pos[v] + 1]
                    t = t1
                    if acc[e] <= 0.0 or occ[n] >= storage[n]:
                        if wait_since[e] == INFINITY:
                            wait_since[e] = ready[v] if ready[v] > t0 else t0
                        if t1 - wait_since[e] < stuck_s:
                            break
                        force = True
                    acc[e] -= 1.0
                wait_since[e] = INFINITY
                whead[e] = nxt[v]
                if whead[e] < 0:
                    wtail[e] = -1
                wcount[e] -= 1
                exits[e] += 1
                time_on[e] += t - entered[v]
                sp = edge_speed[e]
                if vmax[v] < sp:
                    sp = vmax[v]
                free_time[e] += edge_len[e] / sp
                if force:
                    forced[e] += 1
                if n < 0:
                    arrived[n_arr] = v
                    arrived_t[n_arr] = t
                    n_arr += 1
                    continue
                seq_pos[v] += 1
                sp = edge_speed[n]
                if vmax[v] < sp:
                    sp = vmax[v]
                entered[v] = t
                ready[v] = t + edge_len[n] / sp
                nxt[v] = -1
                entries[n] += 1
                if not listed[n]:
                    listed[n] = 1
                    busy[keep] = n
                    keep += 1
                occ[n] += 1
                _append(head, tail, nxt, n, v)
        # compact the busy list: drop edges that emptied
        n_busy = keep
        keep = 0
        for k in range(n_busy):
            e = busy[k]
            left_in_step[e] = 0
            waiting_for[e] = -1
            wfirst[e] = -1
            if occ[e] > 0 or whead[e] >= 0:
                busy[keep] = e
                keep += 1
            else:
                listed[e] = 0
    return keep, n_arr, max_left
