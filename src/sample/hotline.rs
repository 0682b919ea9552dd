//! Hotline data of the sample district: a year's 12345 export (the same
//! call in every export that holds it) and corpora of calls with known
//! topics, in two hands, for scoring the hot-topic grouping.

use super::Rng;

/// A year of 12345 calls as the hotline exports them: 工单编号, 来电时间 and
/// the call's summary in the hotline's words. `from..to` are call numbers;
/// call `i` is the same call in every export that holds it.
pub fn hotline_export(from: usize, to: usize) -> Vec<u8> {
    let towns = [
        "石拐街道",
        "大发街道",
        "五当召镇",
        "吉忽伦图苏木",
        "国庆路街道",
    ];
    let asks = [
        ("住房", "家中暖气不热，室温只有十四度"),
        ("城建", "小区门口路灯不亮，夜间出行不便"),
        ("交通", "公交车班次太少，等车时间长"),
        ("环境", "垃圾清运不及时，异味很大"),
        ("供水", "自来水水压低，高层用不上水"),
    ];
    let mut csv =
        String::from("工单编号,来电时间,诉求标题,诉求内容,所属街镇,所属社区,诉求类别,联系电话\n");
    for i in from..to {
        let (cat, ask) = asks[i % 5];
        let town = towns[(i / 5) % 5];
        let day = 1 + (i / 1000) % 28;
        let month = 1 + (i / 28_000) % 12;
        csv.push_str(&format!(
            "GD2026{i:08},2026-{month:02}-{day:02} {:02}:{:02}:00,{ask},市民来电反映：{town}第{}社区{ask}，已多次反映，希望相关部门尽快处理。,{town},第{}社区,{cat},139{:08}\n",
            8 + i % 10,
            i % 60,
            i % 7,
            i % 7,
            i % 100_000_000
        ));
    }
    csv.into_bytes()
}

/// The roads of the sample district, as its gazetteer lists them.
pub const ROADS: [&str; 6] = [
    "五当召路",
    "石拐大街",
    "环城路",
    "矿山路",
    "新华路",
    "团结路",
];

/// [`hotline_corpus`] as the hotline exports it: a CSV with 工单编号,
/// 诉求内容, 所属街镇, 所属社区 and 诉求类别 (no title column).
pub fn hotline_corpus_csv(n: usize, seed: u64) -> Vec<u8> {
    let (asks, _) = hotline_corpus(n, seed);
    let mut csv = String::from("工单编号,诉求内容,所属街镇,所属社区,诉求类别\n");
    for a in asks {
        csv.push_str(&format!(
            "GD{:08},{},{},{},民生\n",
            a.id,
            a.text.replace(',', "，"),
            a.town,
            a.village
        ));
    }
    csv.into_bytes()
}

/// A year of hotline calls as the hotline writes them, with known
/// topics (the truth: each call's topic, `usize::MAX` for none): several
/// phrasings each, the hotline's formulas, the district's
/// towns, communities and roads, topic sizes falling off as Zipf's law
/// has it, some calls about two things, some about nothing in particular.
pub fn hotline_corpus(n: usize, seed: u64) -> (Vec<crate::upstream::hot::Ask>, Vec<usize>) {
    // Each topic's phrasings name its subject (暖气, 路灯, 公交…) in
    // their own words around it, as callers do.
    const TOPICS: &[&[&str]] = &[
        &[
            "家里暖气不热，室温只有十几度",
            "暖气温度不达标，屋里太冷",
            "冬季暖气效果差，暖气片不热",
            "暖气不好，老人孩子在家冻得受不了",
        ],
        &[
            "路灯不亮，晚上走路看不见",
            "小区路灯坏了好久没人修",
            "夜间照明不足，路灯损坏",
            "路灯线路老化，一到晚上就黑",
        ],
        &[
            "公交车班次太少，等车要一个小时",
            "没有公交线路通到这里，出门坐车难",
            "希望增开公交线路，延长公交末班车时间",
        ],
        &[
            "垃圾清运不及时，垃圾桶满了没人收",
            "生活垃圾堆放多日无人清运，异味很大",
            "垃圾站清理不及时，臭味影响生活",
        ],
        &[
            "自来水水压低，楼上用不上水",
            "经常停水，自来水供应不正常",
            "自来水水质发黄，有异味",
        ],
        &[
            "楼道里堆满杂物，存在消防隐患",
            "消防通道被车辆堵塞，消防车进不来",
            "小区消防设施损坏，灭火器过期",
        ],
        &[
            "道路坑洼不平，雨天积水严重",
            "道路路面破损严重，车辆通行困难",
            "村里道路没有硬化，下雨一身泥",
        ],
        &[
            "小区没有停车位，车辆乱停乱放",
            "停车难，晚上回来找不到停车位",
            "希望规划建设停车场，解决停车难",
        ],
        &[
            "孩子上幼儿园难，附近没有公办幼儿园",
            "幼儿园学位紧张，入园难",
            "公办幼儿园太少，民办幼儿园收费太高",
        ],
        &[
            "老人看病难，社区卫生服务站没有医生",
            "卫生室缺医少药，看病要跑很远",
            "卫生院设备简陋，医生不足，看病难",
        ],
        &[
            "老年人没有活动场所，希望建老年活动中心",
            "缺少养老服务设施，老年人吃饭难",
            "希望开办老年食堂，方便老年人就餐",
        ],
        &[
            "下水道堵塞，污水冒到路上",
            "排水管道老化，污水外溢",
            "化粪池满了没人抽，污水横流",
        ],
        &[
            "楼房外墙脱落，存在安全隐患",
            "老旧楼房外墙墙皮掉落，砸到行人",
            "外墙保温层脱落，很危险",
        ],
        &[
            "电梯经常故障，老人上下楼困难",
            "老旧楼房没有电梯，希望加装电梯",
            "电梯维修不及时，多次困人",
        ],
        &[
            "网络信号差，手机打不出去",
            "村里没有宽带，上网困难，信号也不好",
            "移动信号弱，网络不通",
        ],
        &[
            "噪音扰民，夜间施工影响休息",
            "广场舞音响噪音太大，影响休息",
            "商铺音响噪音扰民",
        ],
        &[
            "农村饮水安全问题，井水水质差",
            "村里吃水难，水井干了，饮水困难",
            "希望通水，解决人畜饮水",
        ],
        &[
            "房屋漏雨，屋顶防水层破损",
            "顶楼漏水，屋里墙面发霉",
            "楼顶防水老化，一下雨就漏水",
        ],
        &[
            "物业服务差，物业费收了不办事",
            "物业不作为，小区卫生没人管",
            "希望更换物业公司，物业管理混乱",
        ],
        &[
            "流浪狗多，晚上出门害怕",
            "小区里狗不拴绳，咬伤行人",
            "流浪狗成群，存在伤人隐患",
        ],
        &[
            "菜市场太远，买菜不方便",
            "希望建设便民菜市场，方便买菜",
            "缺少菜市场，买菜要坐车",
        ],
        &[
            "公共厕所太少，出门如厕难",
            "公共厕所脏乱差，没人打扫",
            "旅游景点缺少公共厕所",
        ],
        &[
            "健身器材损坏，无法使用",
            "小区缺少健身场地和健身器材",
            "希望增加全民健身设施",
        ],
        &[
            "燃气管道老化，存在漏气隐患",
            "希望通燃气，冬天烧煤污染大",
            "燃气入户费用太高，燃气公司收费不合理",
        ],
    ];
    const OPENINGS: &[&str] = &[
        "市民来电反映：",
        "来电人反映：",
        "市民来电称：",
        "群众来电反映，",
        "市民多次来电反映：",
    ];
    const CLOSINGS: &[&str] = &[
        "，希望相关部门尽快处理。",
        "，已多次反映，至今没有解决，要求尽快解决。",
        "，请相关部门核实处理并回复。",
        "，希望有关部门协调解决。",
        "。",
    ];
    const TOWNS: &[&str] = &[
        "石拐街道",
        "大发街道",
        "五当召镇",
        "吉忽伦图苏木",
        "国庆路街道",
        "白狐沟街道",
    ];
    const PLACES: &[&str] = &[
        "白狐沟社区",
        "新宏社区",
        "东兴社区",
        "大德恒社区",
        "庆丰社区",
        "五当召嘎查",
        "乌兰嘎查",
        "长汉嘎查",
        "电厂小区",
        "矿区小区",
        "吉忽伦图嘎查",
        "河滩社区",
    ];

    const NOISE: &[&str] = &[
        "咨询社保卡补办需要带什么材料",
        "咨询驾驶证换证的地点",
        "表扬某单位工作人员服务态度好",
        "咨询养老保险缴费年限",
        "询问疫苗接种时间",
        "反映个人工资被拖欠",
        "咨询户口迁移手续",
        "询问营业执照办理流程",
        "反映快递丢件",
        "咨询房屋产权证办理",
    ];
    let hand = Hand {
        openings: OPENINGS,
        closings: CLOSINGS,
        towns: TOWNS,
        places: PLACES,
        roads: &ROADS,
        noise: NOISE,
        both: &["；另外"],
        at: |way, town, place, road| match way {
            0 => format!("{town}{place}"),
            1 => format!("{town}{road}附近"),
            _ => format!("{place}{road}"),
        },
        topics: TOPICS.len(),
        zipf: 0.9,
    };
    calls(n, Rng(seed), &hand, |rng, k| {
        TOPICS[k][rng.pick(TOPICS[k].len())].to_string()
    })
}

/// What a hand's calls are made of around what they ask.
struct Hand {
    openings: &'static [&'static str],
    closings: &'static [&'static str],
    towns: &'static [&'static str],
    places: &'static [&'static str],
    roads: &'static [&'static str],
    noise: &'static [&'static str],
    /// How a call about two things joins them (one picked if several).
    both: &'static [&'static str],
    /// Where a call is from, three ways (of town, place and road).
    at: fn(usize, &str, &str, &str) -> String,
    topics: usize,
    /// Topic k's share ∝ 1/(k+1)^zipf.
    zipf: f64,
}

/// `n` calls in `hand`: 5% about nothing in particular, the rest each
/// about a topic (`say` words it), 8% of those about a second one too
/// (counted for the first). Returns the calls and each one's topic
/// (`usize::MAX` for none).
fn calls(
    n: usize,
    mut rng: Rng,
    hand: &Hand,
    say: impl Fn(&mut Rng, usize) -> String,
) -> (Vec<crate::upstream::hot::Ask>, Vec<usize>) {
    let weights: Vec<f64> = (0..hand.topics)
        .map(|k| 1.0 / ((k + 1) as f64).powf(hand.zipf))
        .collect();
    let total: f64 = weights.iter().sum();
    let pick_topic = |r: f64| {
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w / total;
            if r < acc {
                return k;
            }
        }
        hand.topics - 1
    };
    let pick = |rng: &mut Rng, from: &'static [&'static str]| match from.len() {
        1 => from[0],
        len => from[rng.pick(len)],
    };
    let mut asks = vec![];
    let mut truth = vec![];
    for id in 0..n {
        let r = rng.unit();
        let town = pick(&mut rng, hand.towns);
        let place = pick(&mut rng, hand.places);
        let road = pick(&mut rng, hand.roads);
        let (body, topic) = if r < 0.05 {
            (pick(&mut rng, hand.noise).to_string(), usize::MAX)
        } else {
            let k = pick_topic(rng.unit());
            let mut body = say(&mut rng, k);
            if rng.unit() < 0.08 {
                let other = pick_topic(rng.unit());
                let join = pick(&mut rng, hand.both);
                body = format!("{body}{join}{}", say(&mut rng, other));
            }
            (body, k)
        };
        let at = (hand.at)(rng.pick(3), town, place, road);
        let text = format!(
            "{}{at}{body}{}",
            pick(&mut rng, hand.openings),
            pick(&mut rng, hand.closings)
        );
        asks.push(crate::upstream::hot::Ask {
            id: id as i64,
            town: town.to_string(),
            village: place.to_string(),
            text,
        });
        truth.push(topic);
    }
    (asks, truth)
}

/// Hotline calls in another hand than [`hotline_corpus`]: each call's
/// wording is put together from its topic's subjects, problems and wishes,
/// the problems often the same words across topics (老化, 损坏, 不及时,
/// 没人管), other formulas and places, and a call about two things said
/// with or without a word that says so. For checking the grouping on
/// wordings it was not written against.
pub fn hotline_corpus_composed(
    n: usize,
    seed: u64,
) -> (Vec<crate::upstream::hot::Ask>, Vec<usize>) {
    type Topic = (
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    const TOPICS: &[Topic] = &[
        (
            &["暖气", "供暖", "暖气片"],
            &["不热", "温度不够", "时冷时热", "温度达不到标准"],
            &["屋里只有十几度", "老人孩子受冻", "请供热公司上门检修"],
        ),
        (
            &["路灯", "街灯", "照明灯"],
            &["不亮", "损坏", "线路老化", "晚上经常灭"],
            &["夜里出门看不清路", "请尽快维修", "存在安全隐患"],
        ),
        (
            &["公交车", "公交线路", "公交站"],
            &["班次太少", "太远", "停运了", "末班车太早"],
            &["上班出行不方便", "请增加班次", "老人看病坐车难"],
        ),
        (
            &["垃圾", "垃圾桶", "垃圾箱"],
            &["清运不及时", "堆放多日", "满了没人管", "损坏"],
            &["气味难闻", "招苍蝇蚊子", "请环卫部门清理"],
        ),
        (
            &["自来水", "供水管网", "水管"],
            &["水压低", "经常停水", "水质浑浊", "老化漏水"],
            &["楼上用不上水", "做饭洗衣都困难", "请自来水公司检修"],
        ),
        (
            &["停车位", "停车场", "车位"],
            &["太少", "被占用", "收费高", "乱收费"],
            &["车辆乱停乱放", "下班回家找不到地方停车", "请规划建设"],
        ),
        (
            &["幼儿园", "托儿所"],
            &["太少", "学位紧张", "收费高", "太远"],
            &["孩子入园难", "接送孩子不方便", "请增建公办园"],
        ),
        (
            &["卫生室", "社区医院", "卫生院"],
            &["缺医少药", "没有医生", "设备老化", "太远"],
            &["老人看病难", "小病也要进城看", "请配备医生"],
        ),
        (
            &["下水道", "污水管", "化粪池"],
            &["堵塞", "冒水", "满溢", "老化破裂"],
            &["污水流到路上", "臭气熏天", "请市政部门疏通"],
        ),
        (
            &["电梯"],
            &["经常故障", "困人", "维修不及时", "年久老化"],
            &["老人上下楼困难", "请物业维修", "希望加装电梯"],
        ),
        (
            &["手机信号", "宽带", "网络"],
            &["信号差", "不通", "经常断", "太慢"],
            &["打电话听不清", "孩子上网课困难", "请运营商建基站"],
        ),
        (
            &["噪音", "噪声"],
            &["扰民", "太大", "夜间不停"],
            &["晚上睡不着觉", "影响老人孩子休息", "请执法部门查处"],
        ),
        (
            &["物业", "物业公司"],
            &["不作为", "乱收费", "没人管", "服务差"],
            &["小区卫生脏乱", "请更换物业", "业主意见很大"],
        ),
        (
            &["流浪狗", "野狗"],
            &["成群", "咬人", "到处乱窜"],
            &["孩子不敢出门", "晚上出门害怕", "请有关部门收容"],
        ),
        (
            &["菜市场", "农贸市场"],
            &["太远", "太少", "脏乱差"],
            &["买菜不方便", "老人买菜要坐车", "请建设便民市场"],
        ),
        (
            &["公共厕所", "公厕"],
            &["太少", "脏乱差", "没人打扫", "锁门"],
            &["出门如厕难", "气味难闻", "请增建公厕"],
        ),
        (
            &["健身器材", "健身场地"],
            &["损坏", "太少", "老化"],
            &["居民没处锻炼", "请更换器材", "存在安全隐患"],
        ),
        (
            &["燃气", "天然气", "燃气管道"],
            &["没有通", "老化漏气", "收费高", "入户费太贵"],
            &["冬天只能烧煤", "存在安全隐患", "请燃气公司解决"],
        ),
        (
            &["屋顶", "房顶", "楼顶"],
            &["漏雨", "漏水", "防水层破损"],
            &["墙面发霉", "一下雨屋里就湿", "请维修防水"],
        ),
        (
            &["道路", "路面", "村道"],
            &["坑洼不平", "破损", "没有硬化", "积水"],
            &["雨天出行难", "车辆通行困难", "请修路"],
        ),
    ];
    const OPENINGS: &[&str] = &[
        "来电人称：",
        "市民通过12345热线反映：",
        "诉求人表示，",
        "工单内容：",
        "来电人反映称：",
    ];
    const CLOSINGS: &[&str] = &[
        "，请尽快解决。",
        "，望予以答复。",
        "，要求相关部门给予解决。",
        "。",
        "，此前已反映过，仍未解决。",
    ];
    const TOWNS: &[&str] = &["石拐街道", "大发街道", "五当召镇", "吉忽伦图苏木"];
    const PLACES: &[&str] = &[
        "东风社区",
        "红旗小区",
        "新村嘎查",
        "阳光花园",
        "矿务局家属院",
        "河东村",
    ];
    const ROADS: &[&str] = &["建设路", "矿区大街", "友谊巷", "石拐大街"];
    const NOISE: &[&str] = &[
        "咨询公积金提取条件",
        "询问医保报销比例",
        "咨询不动产登记需要的材料",
        "查询交通违章处理流程",
        "反映某商场退货难",
    ];
    const BOTH: &[&str] = &["；另外", "；此外，", "，同时反映", "；"];
    let hand = Hand {
        openings: OPENINGS,
        closings: CLOSINGS,
        towns: TOWNS,
        places: PLACES,
        roads: ROADS,
        noise: NOISE,
        both: BOTH,
        at: |way, town, place, road| match way {
            0 => format!("{town}{place}"),
            1 => format!("{road}{place}"),
            _ => format!("{town}{road}"),
        },
        topics: TOPICS.len(),
        zipf: 0.8,
    };
    calls(n, Rng(seed ^ 0x9e37_79b9_7f4a_7c15), &hand, |rng, k| {
        let (subjects, problems, wishes) = TOPICS[k];
        let mut s = format!(
            "{}{}",
            subjects[rng.pick(subjects.len())],
            problems[rng.pick(problems.len())]
        );
        if rng.unit() < 0.6 {
            s = format!("{s}，{}", wishes[rng.pick(wishes.len())]);
        }
        s
    })
}
