//! Unit tests of `shape.rs`.

use super::*;

fn t(s: &str) -> Option<Scalar> {
    Some(Scalar::Text(s.into()))
}

fn lines(shape: &Shape) -> Vec<String> {
    shape.tc_lines("eth0").iter().map(|l| l.join(" ")).collect()
}

#[test]
fn decl_is_the_inverse_of_parse_for_every_key() {
    let full = ShapeDecl {
        rate: t("10.5mbit"),
        burst: t("64kb"),
        queue: Some(Scalar::Int(100)),
        delay: t("20ms"),
        jitter: t("1500us"),
        delay_correlation: t("25%"),
        delay_distribution: t("pareto"),
        loss: Some(Scalar::Float(1.5)),
        loss_correlation: Some(Scalar::Int(10)),
        duplicate: t("0.25"),
        duplicate_correlation: Some(Scalar::Int(5)),
        corrupt: Some(Scalar::Float(0.1)),
        corrupt_correlation: Some(Scalar::Int(3)),
        reorder: Some(Scalar::Int(25)),
        reorder_correlation: Some(Scalar::Int(50)),
        gap: Some(Scalar::Int(5)),
    };
    let shape = full.parse().unwrap();
    assert_eq!(shape.keys().len(), 16);
    let back = shape.decl();
    assert_eq!(back.parse().unwrap(), shape);
    assert_eq!(back.values().len(), 16);
    // Bytes in packets and in bytes; the default burst is not written.
    let q = ShapeDecl {
        rate: t("10mbit"),
        queue: t("64kb"),
        ..Default::default()
    };
    let shape = q.parse().unwrap();
    let with_default_burst = Shape {
        burst: Some(default_burst(10_000_000)),
        ..shape.clone()
    };
    assert_eq!(with_default_burst.decl(), shape.decl());
    assert_eq!(shape.decl().parse().unwrap(), shape);
    assert_eq!(shape.decl().burst, None);
    assert_eq!(shape.decl().queue, t("64kb"));
}

#[test]
fn units_are_parsed_exactly() {
    assert_eq!(parse_rate(&t("10mbit").unwrap()), Ok(10_000_000));
    assert_eq!(parse_rate(&t("1.5Gbit").unwrap()), Ok(1_500_000_000));
    assert_eq!(parse_rate(&t("100kbps").unwrap()), Ok(800_000));
    assert_eq!(parse_size(&Scalar::Int(1500)), Ok(1500));
    assert_eq!(parse_size(&t("32kb").unwrap()), Ok(32768));
    assert_eq!(parse_size(&t("64kbit").unwrap()), Ok(8192));
    assert_eq!(parse_queue(&Scalar::Int(100)), Ok(Queue::Packets(100)));
    assert_eq!(parse_queue(&t("100p").unwrap()), Ok(Queue::Packets(100)));
    assert_eq!(parse_queue(&t("64kb").unwrap()), Ok(Queue::Bytes(65536)));
    assert_eq!(parse_time(&t("20ms").unwrap()), Ok(20_000));
    assert_eq!(parse_time(&t("1.5s").unwrap()), Ok(1_500_000));
    assert_eq!(parse_time(&t("250us").unwrap()), Ok(250));
    assert_eq!(parse_percent(&Scalar::Float(0.5)), Ok(Percent(5000)));
    assert_eq!(parse_percent(&t("25%").unwrap()), Ok(Percent(250_000)));
    assert_eq!(Percent(5000).to_string(), "0.5%");
    assert_eq!(Percent(1_000_000).to_string(), "100%");
    assert_eq!(Percent(12_345).to_string(), "1.2345%");
}

#[test]
fn bad_values_name_the_key_in_one_line() {
    let cases: Vec<(ShapeDecl, &str, &str)> = vec![
        (
            ShapeDecl {
                rate: t("fast"),
                ..Default::default()
            },
            "rate",
            "\"fast\" is not a rate",
        ),
        (
            ShapeDecl {
                rate: Some(Scalar::Int(10)),
                ..Default::default()
            },
            "rate",
            "10 has no unit",
        ),
        (
            ShapeDecl {
                loss: Some(Scalar::Int(120)),
                ..Default::default()
            },
            "loss",
            "120 is not a percentage (0–100)",
        ),
        (
            ShapeDecl {
                delay: t("-1ms"),
                ..Default::default()
            },
            "delay",
            "\"-1ms\" is negative",
        ),
        (
            ShapeDecl {
                delay: t("20"),
                ..Default::default()
            },
            "delay",
            "has no unit",
        ),
        (
            ShapeDecl {
                delay: t("20 parsecs"),
                ..Default::default()
            },
            "delay",
            "unknown unit `parsecs`",
        ),
        (
            ShapeDecl {
                jitter: t("5ms"),
                ..Default::default()
            },
            "jitter",
            "needs `delay`",
        ),
        (
            ShapeDecl {
                burst: t("10kb"),
                ..Default::default()
            },
            "burst",
            "needs `rate`",
        ),
        (
            ShapeDecl {
                reorder: Some(Scalar::Int(25)),
                ..Default::default()
            },
            "reorder",
            "needs a `delay` above 0",
        ),
        (
            ShapeDecl {
                delay: t("1ms"),
                jitter: t("1ms"),
                delay_distribution: t("gaussian"),
                ..Default::default()
            },
            "delay_distribution",
            "not a distribution",
        ),
        (
            ShapeDecl {
                queue: Some(Scalar::Int(0)),
                ..Default::default()
            },
            "queue",
            "not a number of packets",
        ),
        (
            ShapeDecl {
                delay: t("1ms"),
                reorder: Some(Scalar::Int(5)),
                gap: Some(Scalar::Int(0)),
                ..Default::default()
            },
            "gap",
            "not a packet count",
        ),
    ];
    for (decl, key, msg) in cases {
        let (k, m) = decl.parse().unwrap_err();
        assert_eq!(k, key, "{decl:?}");
        assert!(m.contains(msg), "{key}: {m}");
        assert_eq!(m.lines().count(), 1);
    }
}

#[test]
fn rate_alone_is_one_tbf() {
    let s = Shape {
        rate: Some(10_000_000),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        ["qdisc add dev eth0 root handle 1: tbf rate 10mbit burst 5000 latency 50ms"]
    );
    let s = Shape {
        rate: Some(1_000_000),
        burst: Some(32768),
        queue: Some(Queue::Bytes(65536)),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        ["qdisc add dev eth0 root handle 1: tbf rate 1mbit burst 32768 limit 65536"]
    );
}

#[test]
fn a_packet_queue_under_tbf_is_a_pfifo_child() {
    let s = Shape {
        rate: Some(10_000_000),
        queue: Some(Queue::Packets(50)),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        [
            "qdisc add dev eth0 root handle 1: tbf rate 10mbit burst 5000 latency 50ms",
            "qdisc add dev eth0 parent 1:1 handle 2: pfifo limit 50",
        ]
    );
}

#[test]
fn a_queue_alone_is_a_fifo() {
    let p = Shape {
        queue: Some(Queue::Packets(20)),
        ..Default::default()
    };
    assert_eq!(
        lines(&p),
        ["qdisc add dev eth0 root handle 1: pfifo limit 20"]
    );
    let b = Shape {
        queue: Some(Queue::Bytes(3000)),
        ..Default::default()
    };
    assert_eq!(
        lines(&b),
        ["qdisc add dev eth0 root handle 1: bfifo limit 3000"]
    );
}

#[test]
fn every_netem_parameter_reaches_tc() {
    let s = Shape {
        delay: Some(20_000),
        jitter: Some(5_000),
        delay_correlation: Some(Percent(250_000)),
        delay_distribution: Some(Distribution::Normal),
        loss: Some(Percent(15_000)),
        loss_correlation: Some(Percent(100_000)),
        duplicate: Some(Percent(10_000)),
        duplicate_correlation: Some(Percent(20_000)),
        corrupt: Some(Percent(1_000)),
        corrupt_correlation: Some(Percent(30_000)),
        reorder: Some(Percent(250_000)),
        reorder_correlation: Some(Percent(500_000)),
        gap: Some(5),
        queue: Some(Queue::Packets(1000)),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        [
            "qdisc add dev eth0 root handle 1: netem limit 1000 delay 20ms 5ms 25% \
          distribution normal loss random 1.5% 10% duplicate 1% 2% corrupt 0.1% 3% \
          reorder 25% 50% gap 5"
        ]
    );
}

#[test]
fn netem_and_rate_put_tbf_under_netem() {
    let s = Shape {
        rate: Some(10_000_000),
        burst: Some(10_000),
        delay: Some(20_000),
        queue: Some(Queue::Packets(100)),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        [
            "qdisc add dev eth0 root handle 1: netem delay 20ms",
            "qdisc add dev eth0 parent 1:1 handle 2: tbf rate 10mbit burst 10000 latency 50ms",
            "qdisc add dev eth0 parent 2:1 handle 3: pfifo limit 100",
        ]
    );
    let bytes = Shape {
        loss: Some(Percent(10_000)),
        queue: Some(Queue::Bytes(30_000)),
        ..Default::default()
    };
    assert_eq!(
        lines(&bytes),
        [
            "qdisc add dev eth0 root handle 1: netem loss random 1%",
            "qdisc add dev eth0 parent 1:1 handle 2: bfifo limit 30000",
        ]
    );
}

#[test]
fn uniform_distribution_is_netems_default() {
    let s = Shape {
        delay: Some(10_000),
        jitter: Some(1_000),
        delay_distribution: Some(Distribution::Uniform),
        ..Default::default()
    };
    assert_eq!(
        lines(&s),
        ["qdisc add dev eth0 root handle 1: netem delay 10ms 1ms"]
    );
}

#[test]
fn an_end_overrides_its_link_key_by_key() {
    let link = ShapeDecl {
        rate: t("10mbit"),
        delay: t("20ms"),
        ..Default::default()
    };
    let end = ShapeDecl {
        rate: t("1mbit"),
        ..Default::default()
    };
    let s = link.overlay(&end).parse().unwrap();
    assert_eq!(s.rate, Some(1_000_000));
    assert_eq!(s.delay, Some(20_000));
}

#[test]
fn a_kernel_without_netem_refuses_with_the_keys_used() {
    let kinds: BTreeSet<String> = ["tbf", "pfifo", "bfifo"].map(String::from).into();
    let a = Shape {
        rate: Some(1000),
        loss: Some(Percent(1)),
        delay: Some(1),
        ..Default::default()
    };
    let b = Shape {
        jitter: Some(1),
        delay: Some(1),
        ..Default::default()
    };
    let e = require(&kinds, [&a, &b]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): delay, jitter, loss need it; rate works"
    );
    assert_eq!(e.exit_code(), 2);
    let rate_only = Shape {
        rate: Some(1000),
        ..Default::default()
    };
    require(&kinds, [&rate_only]).unwrap();
    let one = Shape {
        delay: Some(1),
        ..Default::default()
    };
    assert_eq!(
        require(&kinds, [&one]).unwrap_err().to_string(),
        "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): delay needs it; rate works"
    );
}

#[test]
fn the_probe_reads_failed_lines() {
    assert_eq!(probe_lines().len(), 2 * KINDS.len());
    let got = probe_result(
        "Error: Specified qdisc kind is unknown.\nCommand failed -:3\n\
         Error: Cannot delete qdisc with handle of zero.\nCommand failed -:4\n",
    );
    assert_eq!(got, ["bfifo", "pfifo", "tbf"].map(String::from).into());
}
