from server.cluster.load import LoadStrategy, ServerLoad, least_loaded, load_of, rank


def test_streams_strategy_picks_fewest_streams() -> None:
    servers = [
        ServerLoad("KMS-A", True, sessions=1, streams=6),
        ServerLoad("KMS-B", True, sessions=3, streams=2),
    ]
    assert least_loaded(servers, LoadStrategy.STREAMS) == servers[1]
    assert load_of(servers[0], LoadStrategy.STREAMS) == 6.0


def test_sessions_strategy_picks_fewest_sessions() -> None:
    servers = [
        ServerLoad("KMS-A", True, sessions=1, streams=6),
        ServerLoad("KMS-B", True, sessions=3, streams=2),
    ]
    assert least_loaded(servers, LoadStrategy.SESSIONS) == servers[0]


def test_disconnected_servers_are_never_chosen() -> None:
    servers = [ServerLoad("KMS-A", False), ServerLoad("KMS-B", True, streams=50)]
    assert least_loaded(servers, LoadStrategy.STREAMS) == servers[1]
    assert least_loaded([ServerLoad("KMS-A", False)], LoadStrategy.STREAMS) is None
    assert least_loaded([], LoadStrategy.CPU) is None


def test_cpu_strategy_uses_sample_plus_pending() -> None:
    busy = ServerLoad("KMS-A", True, cpu_percent=80.0)
    idle = ServerLoad("KMS-B", True, cpu_percent=5.0)
    assert least_loaded([busy, idle], LoadStrategy.CPU) == idle
    # 10 sessions placed on the idle one since its sample still leave it below the busy one
    idle_after_burst = ServerLoad("KMS-B", True, cpu_percent=5.0, placed_since_sample=10)
    assert load_of(idle_after_burst, LoadStrategy.CPU) == 15.0
    assert least_loaded([busy, idle_after_burst], LoadStrategy.CPU) == idle_after_burst


def test_media_objects_strategy_counts_pending_sessions() -> None:
    a = ServerLoad("KMS-A", True, media_objects=4, placed_since_sample=3)
    b = ServerLoad("KMS-B", True, media_objects=5)
    assert load_of(a, LoadStrategy.MEDIA_OBJECTS) == 7.0
    assert least_loaded([a, b], LoadStrategy.MEDIA_OBJECTS) == b


def test_burst_on_idle_servers_is_spread_by_tie_break() -> None:
    # Three idle servers; place six sessions one after another, feeding each placement back in.
    for strategy in LoadStrategy:
        counts = {"KMS-A": 0, "KMS-B": 0, "KMS-C": 0}
        for _ in range(6):
            servers = [
                ServerLoad(sid, True, sessions=0, placed_since_sample=n, cpu_percent=0.0, media_objects=0)
                for sid, n in counts.items()
            ]
            chosen = least_loaded(servers, strategy)
            assert chosen is not None
            counts[chosen.server_id] += 1
        assert sorted(counts.values()) == [2, 2, 2], (strategy, counts)


def test_rank_is_stable_for_equal_load() -> None:
    servers = [ServerLoad(f"KMS-{i}", True) for i in range(4)]
    assert [s.server_id for s in rank(servers, LoadStrategy.STREAMS)] == ["KMS-0", "KMS-1", "KMS-2", "KMS-3"]
