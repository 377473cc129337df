# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# distutils: language = c++
"""Exact shortest paths on a CSR road graph: Dijkstra and contraction hierarchies.

Weights are **integers** (millimetres or milliseconds). Integer sums are exact and associative,
so a distance found through a shortcut (``w1 + (w2 + w3)``) is bit-identical to the distance
networkx finds edge by edge (``(w1 + w2) + w3``). That is what lets us promise results that
*equal* networkx's, not merely approximate them.

Contraction hierarchies (Geisberger et al., 2008) were chosen over ALT landmarks and cached trees:

* ALT still settles thousands of nodes per query on a city graph; CH settles a few hundred, and
  queries are a few microseconds, comfortably above 100,000 exact queries per second.
* A cached all-pairs table is O(n^2) memory (200 MB for Brasov's drive graph, 1.1 GB for the
  walking graph) and does not survive a road closure; CH preprocessing takes seconds and is
  cached on disk with the city.

The module is the only place that knows the internals; ``twin.routing`` wraps it for users.
Unreachable targets are reported as ``-1``; callers turn that into a clear result.
"""
import numpy as np
cimport numpy as cnp
from libcpp.vector cimport vector
from libcpp.pair cimport pair
from libcpp.queue cimport priority_queue
from libcpp.algorithm cimport push_heap, pop_heap

cnp.import_array()

ctypedef long long i64
ctypedef int i32
ctypedef pair[i64, i32] HeapItem   # (-distance, node): std::priority_queue is a max-heap

cdef i64 INF = 4611686018427387904  # 2**62


cdef struct Arc:
    i32 node
    i64 w
    i32 mid


# ----------------------------------------------------------------------------------------------
# Plain Dijkstra on the CSR graph
# ----------------------------------------------------------------------------------------------

def dijkstra(const i64[::1] indptr, const i32[::1] indices, const i64[::1] weights,
             i32 source, const i32[::1] targets=None):
    """Single-source Dijkstra on a CSR graph with integer weights.

    Parameters
    ----------
    indptr, indices, weights
        CSR adjacency: the out-edges of node ``u`` are positions ``indptr[u]:indptr[u+1]``;
        a position is an edge index.
    source
        Node index to start from.
    targets
        If given, the search stops once every target is settled.

    Returns
    -------
    dist : int64 array (n,)
        Distance to each node, ``-1`` where not reached.
    pred_edge : int32 array (n,)
        Edge index used to reach each node, ``-1`` for the source and unreached nodes.
    """
    cdef i32 n = indptr.shape[0] - 1
    if source < 0 or source >= n:
        raise IndexError(f"source node index {source} out of range 0..{n - 1}")
    dist_np = np.full(n, INF, dtype=np.int64)
    pred_np = np.full(n, -1, dtype=np.int32)
    cdef i64[::1] dist = dist_np
    cdef i32[::1] pred = pred_np
    cdef vector[char] is_target
    cdef i32 remaining = 0, k, t
    if targets is not None:
        is_target.resize(n, 0)
        for k in range(targets.shape[0]):
            t = targets[k]
            if t < 0 or t >= n:
                raise IndexError(f"target node index {t} out of range 0..{n - 1}")
            if not is_target[t]:
                is_target[t] = 1
                remaining += 1
    with nogil:
        _dijkstra_csr(indptr, indices, weights, source, dist, pred,
                      is_target.data() if targets is not None else NULL, remaining)
    dist_np[dist_np == INF] = -1
    return dist_np, pred_np


cdef void _dijkstra_csr(const i64[::1] indptr, const i32[::1] indices, const i64[::1] weights,
                        i32 source, i64[::1] dist, i32[::1] pred,
                        char* is_target, i32 remaining) noexcept nogil:
    cdef priority_queue[HeapItem] heap
    cdef HeapItem top
    cdef i64 d, nd
    cdef i32 u, v
    cdef i64 e
    dist[source] = 0
    heap.push(HeapItem(0, source))
    while not heap.empty():
        top = heap.top()
        heap.pop()
        d = -top.first
        u = top.second
        if d > dist[u]:
            continue
        if is_target != NULL and is_target[u]:
            is_target[u] = 0
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = <i32>e
                heap.push(HeapItem(-nd, v))


# ----------------------------------------------------------------------------------------------
# Contraction hierarchy: preprocessing
# ----------------------------------------------------------------------------------------------

cdef class _Contractor:
    """The mutable graph being contracted (one object per build; not exported)."""
    cdef vector[vector[Arc]] out_adj
    cdef vector[vector[Arc]] in_adj
    cdef vector[char] contracted
    cdef vector[i64] wdist
    cdef vector[i32] touched
    cdef vector[HeapItem] heap      # the witness searches' queue, reused (std::priority_queue's operations)
    cdef i32 n
    cdef i32 settle_limit

    def __cinit__(self, i32 n, i32 settle_limit):
        self.n = n
        self.settle_limit = settle_limit
        self.out_adj.resize(n)
        self.in_adj.resize(n)
        self.contracted.resize(n, 0)
        self.wdist.resize(n, INF)

    cdef void add_arc(self, i32 u, i32 v, i64 w, i32 mid) noexcept nogil:
        """Add u->v, or lower its weight if an arc u->v exists already (one arc per pair)."""
        cdef size_t j
        cdef Arc a
        for j in range(self.out_adj[u].size()):
            if self.out_adj[u][j].node == v:
                if w < self.out_adj[u][j].w:
                    self.out_adj[u][j].w = w
                    self.out_adj[u][j].mid = mid
                    for j in range(self.in_adj[v].size()):
                        if self.in_adj[v][j].node == u:
                            self.in_adj[v][j].w = w
                            self.in_adj[v][j].mid = mid
                            break
                return
        a.node = v
        a.w = w
        a.mid = mid
        self.out_adj[u].push_back(a)
        a.node = u
        self.in_adj[v].push_back(a)

    cdef void witness(self, i32 source, i32 avoid, i64 max_dist) noexcept nogil:
        """Bounded Dijkstra from ``source`` that never enters ``avoid`` or contracted nodes."""
        cdef vector[HeapItem]* heap = &self.heap
        cdef HeapItem top
        cdef i64 d, nd
        cdef i32 x, y, settled = 0
        cdef size_t j
        for j in range(self.touched.size()):
            self.wdist[self.touched[j]] = INF
        self.touched.clear()
        self.wdist[source] = 0
        self.touched.push_back(source)
        heap[0].clear()
        heap[0].push_back(HeapItem(0, source))
        while not heap[0].empty():
            top = heap[0].front()
            pop_heap(heap[0].begin(), heap[0].end())
            heap[0].pop_back()
            d = -top.first
            x = top.second
            if d > self.wdist[x]:
                continue
            if d > max_dist:
                break
            settled += 1
            if settled > self.settle_limit:
                break
            for j in range(self.out_adj[x].size()):
                y = self.out_adj[x][j].node
                if y == avoid or self.contracted[y]:
                    continue
                nd = d + self.out_adj[x][j].w
                if nd < self.wdist[y]:
                    if self.wdist[y] == INF:
                        self.touched.push_back(y)
                    self.wdist[y] = nd
                    heap[0].push_back(HeapItem(-nd, y))
                    push_heap(heap[0].begin(), heap[0].end())

    cdef i32 contract(self, i32 v, bint apply) noexcept nogil:
        """Count (and, if ``apply``, add) the shortcuts that removing ``v`` needs."""
        cdef size_t i, j
        cdef i32 u, x, count = 0
        cdef i64 wu, d, max_d
        cdef vector[Arc] ins = self.in_adj[v]
        cdef vector[Arc] outs = self.out_adj[v]
        for i in range(ins.size()):
            u = ins[i].node
            if self.contracted[u]:
                continue
            wu = ins[i].w
            max_d = -1
            for j in range(outs.size()):
                x = outs[j].node
                if x == u or self.contracted[x]:
                    continue
                if wu + outs[j].w > max_d:
                    max_d = wu + outs[j].w
            if max_d < 0:
                continue
            self.witness(u, v, max_d)
            for j in range(outs.size()):
                x = outs[j].node
                if x == u or self.contracted[x]:
                    continue
                d = wu + outs[j].w
                if self.wdist[x] > d:
                    count += 1
                    if apply:
                        self.add_arc(u, x, d, v)
        return count

    cdef void unlink(self, i32 v) noexcept nogil:
        """Drop the arcs to and from ``v``, just contracted, from its neighbours' lists (the
        order of the others kept). Every search skips contracted nodes, so nothing changes but
        the length of the lists they scan: the last nodes contracted had thousands of arcs to
        contracted ones."""
        cdef size_t j
        for j in range(self.in_adj[v].size()):
            _drop(self.out_adj[self.in_adj[v][j].node], v)
        for j in range(self.out_adj[v].size()):
            _drop(self.in_adj[self.out_adj[v][j].node], v)

    cdef i32 degree(self, i32 v) noexcept nogil:
        cdef i32 deg = 0
        cdef size_t j
        for j in range(self.in_adj[v].size()):
            if not self.contracted[self.in_adj[v][j].node]:
                deg += 1
        for j in range(self.out_adj[v].size()):
            if not self.contracted[self.out_adj[v][j].node]:
                deg += 1
        return deg


cdef inline void _drop(vector[Arc]& arcs, i32 node) noexcept nogil:
    """Remove the arcs to ``node`` from ``arcs``, keeping the order of the rest."""
    cdef size_t j, k = 0
    for j in range(arcs.size()):
        if arcs[j].node != node:
            arcs[k] = arcs[j]
            k += 1
    arcs.resize(k)


cdef inline void _contract_next(_Contractor c, i32 v, i32 position, vector[Arc]& up_out,
                                vector[Arc]& up_in, i32* rank) noexcept nogil:
    """Contract ``v`` as the ``position``-th node of the order, whichever way the order was chosen.

    Its arcs to the nodes still uncontracted (all ranked above it) become its arcs in the upward
    search graphs (``up_out``: v->x, ``up_in``: x->v), the shortcuts its removal needs are added,
    and it gets its rank.
    """
    cdef size_t j
    for j in range(c.out_adj[v].size()):
        if not c.contracted[c.out_adj[v][j].node]:
            up_out.push_back(c.out_adj[v][j])
    for j in range(c.in_adj[v].size()):
        if not c.contracted[c.in_adj[v][j].node]:
            up_in.push_back(c.in_adj[v][j])
    c.contract(v, True)
    c.contracted[v] = 1
    rank[v] = position
    c.unlink(v)


def build_ch(i32 n, const i32[::1] tail, const i32[::1] head, const i64[::1] weight,
             i32 settle_limit=1000, const i32[::1] node_order=None):
    """Contract a graph and return the search graph of its hierarchy as flat arrays.

    Parameters
    ----------
    n
        Number of nodes.
    tail, head, weight
        Arcs ``tail[i] -> head[i]`` with non-negative integer weights. Parallel arcs and
        self-loops are allowed (the lightest parallel arc is kept, loops are dropped).
    settle_limit
        Witness searches stop after settling this many nodes. A stopped search can only add
        a shortcut that was not needed; it never loses a shortest path.
    node_order
        The nodes in the order to contract them (a permutation of ``0..n-1``), e.g. another
        hierarchy's: ``np.argsort(rank)``. None: choose the order by the usual priority (shortcuts
        added − degree + contracted neighbours, lazily updated). A given order skips the priority
        simulations — most of a build's witness searches — and is as exact (any order gives a
        correct hierarchy: witness searches decide the shortcuts); only query speed depends on
        how well the order suits the weights. Re-contracting a road's free-flow order on a
        traffic bin's travel times is how :mod:`twin.traffic` re-customises its router per bin.

    Returns
    -------
    dict of numpy arrays
        ``rank`` and, for the upward search graphs, CSR arrays ``fwd_indptr, fwd_node, fwd_w,
        fwd_mid`` (arcs v->x with rank[x] > rank[v]) and ``bwd_indptr, bwd_node, bwd_w, bwd_mid``
        (arcs x->v with rank[x] > rank[v], stored at v). ``mid`` is the contracted middle node
        of a shortcut, ``-1`` for an original arc.
    """
    cdef Py_ssize_t m = tail.shape[0], i
    if head.shape[0] != m or weight.shape[0] != m:
        raise ValueError("tail, head and weight must have the same length")
    for i in range(m):
        if weight[i] < 0:
            raise ValueError(f"weight[{i}] = {weight[i]} is negative; CH needs weights >= 0")
        if tail[i] < 0 or tail[i] >= n or head[i] < 0 or head[i] >= n:
            raise ValueError(f"arc {i} ({tail[i]} -> {head[i]}) has a node outside 0..{n - 1}")
    cdef _Contractor c = _Contractor(n, settle_limit)
    with nogil:
        for i in range(m):
            if tail[i] != head[i]:
                c.add_arc(tail[i], head[i], weight[i], -1)

    rank_np = np.full(n, -1, dtype=np.int32)
    cdef i32[::1] rank = rank_np
    cdef vector[i64] prio
    cdef vector[i32] deleted
    prio.resize(n, 0)
    deleted.resize(n, 0)
    cdef priority_queue[HeapItem] pq   # (-priority, node)
    cdef HeapItem top
    cdef i32 v, x, order = 0
    cdef i64 p
    cdef size_t j
    # final search-graph arcs, gathered per node as it is contracted
    cdef vector[vector[Arc]] fwd, bwd
    fwd.resize(n)
    bwd.resize(n)
    cdef vector[i32] nbrs
    cdef vector[char] seen
    cdef Py_ssize_t k

    if node_order is not None:
        if node_order.shape[0] != n:
            raise ValueError(f"node_order must list all {n} nodes, got {node_order.shape[0]}")
        seen.resize(n, 0)
        for k in range(n):
            v = node_order[k]
            if v < 0 or v >= n or seen[v]:
                raise ValueError(f"node_order is not a permutation of 0..{n - 1} (node {v} at position {k})")
            seen[v] = 1
        with nogil:
            for k in range(n):
                v = node_order[k]
                _contract_next(c, v, <i32>k, fwd[v], bwd[v], &rank[0])
        out = {"rank": rank_np}
        out.update(_flatten(fwd, n, "fwd"))
        out.update(_flatten(bwd, n, "bwd"))
        return out

    with nogil:
        for v in range(n):
            prio[v] = c.contract(v, False) - c.degree(v)
            pq.push(HeapItem(-prio[v], v))
        while not pq.empty():
            top = pq.top()
            pq.pop()
            v = top.second
            if c.contracted[v] or -top.first != prio[v]:
                continue  # stale entry
            # lazy update: recompute; if it got worse than the next best, try later
            p = c.contract(v, False) - c.degree(v) + deleted[v]
            if p != prio[v]:
                prio[v] = p
                if not pq.empty() and p > -pq.top().first:
                    pq.push(HeapItem(-p, v))
                    continue
            _contract_next(c, v, order, fwd[v], bwd[v], &rank[0])
            order += 1
            # neighbours' priorities change
            nbrs.clear()
            for j in range(fwd[v].size()):
                nbrs.push_back(fwd[v][j].node)
            for j in range(bwd[v].size()):
                nbrs.push_back(bwd[v][j].node)
            for j in range(nbrs.size()):
                x = nbrs[j]
                deleted[x] += 1
                p = c.contract(x, False) - c.degree(x) + deleted[x]
                if p != prio[x]:
                    prio[x] = p
                    pq.push(HeapItem(-p, x))

    out = {"rank": rank_np}
    out.update(_flatten(fwd, n, "fwd"))
    out.update(_flatten(bwd, n, "bwd"))
    return out


cdef dict _flatten(vector[vector[Arc]]& lists, i32 n, str name):
    cdef Py_ssize_t total = 0, v, j, k = 0
    for v in range(n):
        total += lists[v].size()
    indptr_np = np.zeros(n + 1, dtype=np.int64)
    node_np = np.empty(total, dtype=np.int32)
    w_np = np.empty(total, dtype=np.int64)
    mid_np = np.empty(total, dtype=np.int32)
    cdef i64[::1] indptr = indptr_np
    cdef i32[::1] node = node_np, mid = mid_np
    cdef i64[::1] w = w_np
    for v in range(n):
        for j in range(<Py_ssize_t>lists[v].size()):
            node[k] = lists[v][j].node
            w[k] = lists[v][j].w
            mid[k] = lists[v][j].mid
            k += 1
        indptr[v + 1] = k
    return {f"{name}_indptr": indptr_np, f"{name}_node": node_np,
            f"{name}_w": w_np, f"{name}_mid": mid_np}


# ----------------------------------------------------------------------------------------------
# Contraction hierarchy: queries
# ----------------------------------------------------------------------------------------------

cdef class CHQuery:
    """Point-to-point queries on a contraction hierarchy built by :func:`build_ch`.

    One object holds its own search buffers, so use one per thread.
    """
    cdef const i64[::1] f_ptr
    cdef const i32[::1] f_node
    cdef const i64[::1] f_w
    cdef const i32[::1] f_mid
    cdef const i64[::1] b_ptr
    cdef const i32[::1] b_node
    cdef const i64[::1] b_w
    cdef const i32[::1] b_mid
    cdef vector[i64] df, db
    cdef vector[i32] fpred, bpred
    cdef vector[i32] ftouched, btouched
    cdef i32 meet
    cdef readonly i32 n
    cdef object _keep
    # for path unpacking (built at the first path query): each arc's owner node, and the two
    # arcs a shortcut stands for (-1: none found, the arc is taken as an original one)
    cdef bint _unpack_ready
    cdef vector[i32] f_own, b_own
    cdef vector[i64] f_c1, f_c2, b_c1, b_c2
    cdef vector[i64] st_arc, up_arcs
    cdef vector[HeapItem] fheap, bheap
    cdef vector[i32] st_head
    cdef vector[char] st_kind

    def __init__(self, dict arrays):
        self._keep = arrays
        self.f_ptr = arrays["fwd_indptr"]
        self.f_node = arrays["fwd_node"]
        self.f_w = arrays["fwd_w"]
        self.f_mid = arrays["fwd_mid"]
        self.b_ptr = arrays["bwd_indptr"]
        self.b_node = arrays["bwd_node"]
        self.b_w = arrays["bwd_w"]
        self.b_mid = arrays["bwd_mid"]
        self.n = self.f_ptr.shape[0] - 1
        self.df.resize(self.n, INF)
        self.db.resize(self.n, INF)
        self.fpred.resize(self.n, -1)
        self.bpred.resize(self.n, -1)

    cdef void _prepare_unpack(self) noexcept nogil:
        """Owners and children of every arc, so that unpacking a path needs no search: the
        children of shortcut ``a -> b`` via ``m`` are the first arc of ``bwd[m]`` from ``a`` and
        the first arc of ``fwd[m]`` to ``b`` (what :meth:`_unpack_arc` looked for arc by arc)."""
        cdef i64 mf = self.f_ptr[self.n], mb = self.b_ptr[self.n], e
        cdef i32 v, m
        self.f_own.resize(mf)
        self.b_own.resize(mb)
        for v in range(self.n):
            for e in range(self.f_ptr[v], self.f_ptr[v + 1]):
                self.f_own[e] = v
            for e in range(self.b_ptr[v], self.b_ptr[v + 1]):
                self.b_own[e] = v
        self.f_c1.resize(mf, -1)
        self.f_c2.resize(mf, -1)
        self.b_c1.resize(mb, -1)
        self.b_c2.resize(mb, -1)
        for e in range(mf):
            m = self.f_mid[e]
            if m >= 0:
                self._children(self.f_own[e], self.f_node[e], m, &self.f_c1[e], &self.f_c2[e])
        for e in range(mb):
            m = self.b_mid[e]
            if m >= 0:
                self._children(self.b_node[e], self.b_own[e], m, &self.b_c1[e], &self.b_c2[e])
        self._unpack_ready = True

    cdef inline void _children(self, i32 a, i32 b, i32 m, i64* c1, i64* c2) noexcept nogil:
        cdef i64 j
        for j in range(self.b_ptr[m], self.b_ptr[m + 1]):
            if self.b_node[j] == a:
                c1[0] = j
                break
        for j in range(self.f_ptr[m], self.f_ptr[m + 1]):
            if self.f_node[j] == b:
                c2[0] = j
                break

    cdef inline void _check(self, i32 v) except *:
        if v < 0 or v >= self.n:
            raise IndexError(f"node index {v} out of range 0..{self.n - 1}")

    cdef i64 _query(self, i32 s, i32 t) noexcept nogil:
        cdef size_t j
        for j in range(self.ftouched.size()):
            self.df[self.ftouched[j]] = INF
            self.fpred[self.ftouched[j]] = -1
        for j in range(self.btouched.size()):
            self.db[self.btouched[j]] = INF
            self.bpred[self.btouched[j]] = -1
        self.ftouched.clear()
        self.btouched.clear()
        self.meet = -1
        if s == t:
            self.df[s] = 0
            self.ftouched.push_back(s)
            self.meet = s
            return 0
        # the two queues are this object's vectors kept as heaps with the operations of
        # std::priority_queue (push_back + push_heap, pop_heap + pop_back: the same order), so
        # a query allocates nothing once they have grown
        cdef vector[HeapItem]* fq = &self.fheap
        cdef vector[HeapItem]* bq = &self.bheap
        cdef HeapItem top
        cdef i64 best = INF, d, nd
        cdef i32 x, y
        cdef i64 e
        fq[0].clear()
        bq[0].clear()
        self.df[s] = 0
        self.ftouched.push_back(s)
        self.db[t] = 0
        self.btouched.push_back(t)
        fq[0].push_back(HeapItem(0, s))
        bq[0].push_back(HeapItem(0, t))
        while True:
            if not fq[0].empty() and -fq[0].front().first >= best:
                fq[0].clear()
            if not bq[0].empty() and -bq[0].front().first >= best:
                bq[0].clear()
            if fq[0].empty() and bq[0].empty():
                break
            if not fq[0].empty() and (bq[0].empty() or -fq[0].front().first <= -bq[0].front().first):
                top = fq[0].front()
                pop_heap(fq[0].begin(), fq[0].end())
                fq[0].pop_back()
                d = -top.first
                x = top.second
                if d > self.df[x]:
                    continue
                if self.db[x] != INF and d + self.db[x] < best:
                    best = d + self.db[x]
                    self.meet = x
                # stall-on-demand: if a higher node reaches x more cheaply, x is not on a
                # shortest up-path; do not expand it
                if self._stalled(x, d, True):
                    continue
                for e in range(self.f_ptr[x], self.f_ptr[x + 1]):
                    y = self.f_node[e]
                    nd = d + self.f_w[e]
                    if nd < self.df[y]:
                        if self.df[y] == INF:
                            self.ftouched.push_back(y)
                        self.df[y] = nd
                        self.fpred[y] = <i32>e
                        fq[0].push_back(HeapItem(-nd, y))
                        push_heap(fq[0].begin(), fq[0].end())
            else:
                top = bq[0].front()
                pop_heap(bq[0].begin(), bq[0].end())
                bq[0].pop_back()
                d = -top.first
                x = top.second
                if d > self.db[x]:
                    continue
                if self.df[x] != INF and d + self.df[x] < best:
                    best = d + self.df[x]
                    self.meet = x
                if self._stalled(x, d, False):
                    continue
                for e in range(self.b_ptr[x], self.b_ptr[x + 1]):
                    y = self.b_node[e]
                    nd = d + self.b_w[e]
                    if nd < self.db[y]:
                        if self.db[y] == INF:
                            self.btouched.push_back(y)
                        self.db[y] = nd
                        self.bpred[y] = <i32>e
                        bq[0].push_back(HeapItem(-nd, y))
                        push_heap(bq[0].begin(), bq[0].end())
        return best if best != INF else -1

    cdef bint _stalled(self, i32 x, i64 d, bint forward) noexcept nogil:
        # forward search at x: an arc y->x with rank[y] > rank[x] is stored in bwd[x];
        # if df[y] + w < d, x is reached more cheaply from above and need not be expanded.
        cdef i64 e
        cdef i32 y
        if forward:
            for e in range(self.b_ptr[x], self.b_ptr[x + 1]):
                y = self.b_node[e]
                if self.df[y] != INF and self.df[y] + self.b_w[e] < d:
                    return True
        else:
            for e in range(self.f_ptr[x], self.f_ptr[x + 1]):
                y = self.f_node[e]
                if self.db[y] != INF and self.db[y] + self.f_w[e] < d:
                    return True
        return False

    def distance(self, i32 s, i32 t):
        """Shortest-path weight from node ``s`` to node ``t``; ``-1`` if unreachable."""
        self._check(s)
        self._check(t)
        cdef i64 r
        with nogil:
            r = self._query(s, t)
        return r

    def distances(self, const i32[::1] sources, const i32[::1] targets):
        """Batched pairs: weight from ``sources[i]`` to ``targets[i]`` (``-1`` unreachable)."""
        cdef Py_ssize_t k, m = sources.shape[0]
        if targets.shape[0] != m:
            raise ValueError(f"sources ({m}) and targets ({targets.shape[0]}) differ in length")
        for k in range(m):
            self._check(sources[k])
            self._check(targets[k])
        out_np = np.empty(m, dtype=np.int64)
        cdef i64[::1] out = out_np
        with nogil:
            for k in range(m):
                out[k] = self._query(sources[k], targets[k])
        return out_np

    def path(self, i32 s, i32 t):
        """Weight and node path (int32 array) from ``s`` to ``t``; ``(-1, empty)`` if none."""
        self._check(s)
        self._check(t)
        cdef i64 r
        cdef vector[i32] nodes
        with nogil:
            if not self._unpack_ready:
                self._prepare_unpack()
            r = self._query(s, t)
            if r >= 0:
                self._unpack_path(s, t, nodes)
        out = np.empty(nodes.size(), dtype=np.int32)
        cdef i32[::1] o = out
        cdef size_t j
        for j in range(nodes.size()):
            o[j] = nodes[j]
        return r, out

    def paths(self, const i32[::1] sources, const i32[::1] targets):
        """Batched node paths: ``(dist, offsets, nodes)``; path ``k`` is
        ``nodes[offsets[k]:offsets[k+1]]`` (empty where unreachable, ``dist[k] == -1``)."""
        cdef Py_ssize_t k, m = sources.shape[0]
        if targets.shape[0] != m:
            raise ValueError(f"sources ({m}) and targets ({targets.shape[0]}) differ in length")
        for k in range(m):
            self._check(sources[k])
            self._check(targets[k])
        dist_np = np.empty(m, dtype=np.int64)
        off_np = np.zeros(m + 1, dtype=np.int64)
        cdef i64[::1] dist = dist_np
        cdef i64[::1] off = off_np
        cdef vector[i32] nodes
        cdef i64 r
        with nogil:
            if not self._unpack_ready:
                self._prepare_unpack()
            for k in range(m):
                r = self._query(sources[k], targets[k])
                dist[k] = r
                if r >= 0:
                    self._unpack_path(sources[k], targets[k], nodes)
                off[k + 1] = nodes.size()
        out = np.empty(nodes.size(), dtype=np.int32)
        cdef i32[::1] o = out
        cdef size_t j
        for j in range(nodes.size()):
            o[j] = nodes[j]
        return dist_np, off_np, out

    cdef void _unpack_path(self, i32 s, i32 t, vector[i32]& nodes) noexcept nogil:
        # up-path s -> meet: the forward arcs collected backwards from meet, then unpacked in order
        cdef i32 x = self.meet
        cdef i64 e
        self.up_arcs.clear()           # fwd arcs meet ... s (unpacked from the end)
        nodes.push_back(s)
        while x != s:
            e = self.fpred[x]
            self.up_arcs.push_back(e)
            x = self.f_own[e]
        cdef Py_ssize_t k
        for k in range(<Py_ssize_t>self.up_arcs.size() - 1, -1, -1):
            self._unpack_arc(0, self.up_arcs[k], nodes)
        # down-path meet -> t: bpred[x] is a bwd arc stored at the lower node (arc x -> owner)
        x = self.meet
        while x != t:
            e = self.bpred[x]
            self._unpack_arc(1, e, nodes)
            x = self.b_own[e]

    cdef void _unpack_arc(self, int kind, i64 arc, vector[i32]& nodes) noexcept nogil:
        # iterative expansion of a fwd (kind 0) or bwd (kind 1) arc into original arcs; appends
        # the nodes after its tail. A shortcut a -> b via m is bwd[m]'s arc from a, then fwd[m]'s
        # arc to b (precomputed children; -1: taken as an original arc to its head)
        cdef vector[i64]* st_arc = &self.st_arc         # reused: no allocation per arc
        cdef vector[i32]* st_head = &self.st_head
        cdef vector[char]* st_kind = &self.st_kind
        cdef i64 e, c1, c2
        cdef i32 head, mid
        cdef char kd
        st_kind[0].push_back(kind)
        st_arc[0].push_back(arc)
        st_head[0].push_back(self.f_node[arc] if kind == 0 else self.b_own[arc])
        while not st_arc[0].empty():
            kd = st_kind[0].back()
            e = st_arc[0].back()
            head = st_head[0].back()
            st_kind[0].pop_back()
            st_arc[0].pop_back()
            st_head[0].pop_back()
            if e < 0:
                nodes.push_back(head)
                continue
            if kd == 0:
                mid = self.f_mid[e]
                c1 = self.f_c1[e]
                c2 = self.f_c2[e]
            else:
                mid = self.b_mid[e]
                c1 = self.b_c1[e]
                c2 = self.b_c2[e]
            if mid < 0:
                nodes.push_back(head)
                continue
            # mid -> head (fwd arc at mid) after, tail -> mid (bwd arc at mid) first
            st_kind[0].push_back(0)
            st_arc[0].push_back(c2)
            st_head[0].push_back(head)
            st_kind[0].push_back(1)
            st_arc[0].push_back(c1)
            st_head[0].push_back(mid)


def path_edges_of_nodes(const i64[::1] noff, const i32[::1] nodes, const i64[::1] pair_ptr,
                        const i32[::1] pair_head, const i32[::1] pair_edge):
    """Turn batched node paths into edge paths in one pass (no temporaries in Python).

    Path ``k`` is ``nodes[noff[k]:noff[k+1]]``; each consecutive pair ``(a, b)`` becomes the edge
    ``pair_edge[i]`` for the ``i`` in ``pair_ptr[a]:pair_ptr[a+1]`` (the pairs leaving ``a``, a
    handful) with ``pair_head[i] == b``. Returns ``(eoff, edges)``; a pair with no edge raises
    ``ValueError``.
    """
    cdef Py_ssize_t P = noff.shape[0] - 1, k, j, i
    cdef i64 total = 0, c, out = 0
    cdef i32 bad_a = -1, bad_b = -1, a, b
    eoff_np = np.zeros(P + 1, np.int64)
    cdef i64[::1] eoff = eoff_np
    for k in range(P):
        c = noff[k + 1] - noff[k]
        total += c - 1 if c > 1 else 0
        eoff[k + 1] = total
    edges_np = np.zeros(total, np.int32)
    cdef i32[::1] edges = edges_np
    with nogil:
        for k in range(P):
            for j in range(noff[k], noff[k + 1] - 1):
                a = nodes[j]
                b = nodes[j + 1]
                i = pair_ptr[a]
                while i < pair_ptr[a + 1] and pair_head[i] != b:
                    i += 1
                if i >= pair_ptr[a + 1]:
                    bad_a = a
                    bad_b = b
                    break
                edges[out] = pair_edge[i]
                out += 1
            if bad_a >= 0:
                break
    if bad_a >= 0:
        raise ValueError(f"node path uses a pair of nodes with no edge between them ({bad_a} -> {bad_b})")
    return eoff_np, edges_np
