//! 示范数据 (the demo district): 石拐区 2027 — 150 deputies in delegations,
//! 12 candidate projects, 10 seats. Data only; the CLI puts it in a store.

use crate::core::record::*;
use crate::hall::{RosterRow, RoundDraft};

pub const ELECTION_ID: &str = "shiguai-2027";
pub const ASSEMBLY: &str = "包头市石拐区第十一届人民代表大会第五次会议";
pub const TITLE: &str = "石拐区2027年民生实事项目代表票决";

/// (代表团, number of deputies): 150 in all.
const DELEGATIONS: [(&str, usize); 6] = [
    ("石拐街道代表团", 30),
    ("大发街道代表团", 28),
    ("五当召镇代表团", 26),
    ("吉忽伦图苏木代表团", 22),
    ("国庆路街道代表团", 24),
    ("区直机关代表团", 20),
];

const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段";
const GIVEN: [&str; 30] = [
    "建国",
    "秀英",
    "志强",
    "丽华",
    "海燕",
    "文斌",
    "桂兰",
    "永刚",
    "晓红",
    "国栋",
    "淑芬",
    "立新",
    "玉梅",
    "卫东",
    "金花",
    "宏伟",
    "春梅",
    "德明",
    "巴特尔",
    "其其格",
    "慧敏",
    "振华",
    "乌兰",
    "宝音",
    "红霞",
    "俊峰",
    "雅琴",
    "学军",
    "敖登",
    "保平",
];

/// 150 deputies, numbered 001..150, seated row by row.
pub fn roster() -> Vec<RosterRow> {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let mut rows = vec![];
    let mut n = 0usize;
    for (delegation, count) in DELEGATIONS {
        for _ in 0..count {
            n += 1;
            let name = format!(
                "{}{}",
                surnames[(n * 7) % surnames.len()],
                GIVEN[(n * 11) % GIVEN.len()]
            );
            rows.push(RosterRow {
                number: format!("{n:03}"),
                name,
                delegation: delegation.to_string(),
                seat: format!("{}排{}座", (n - 1) / 15 + 1, (n - 1) % 15 + 1),
            });
        }
    }
    rows
}

/// (name, lead unit, investment in yuan, summary)
const PROJECTS: [(&str, &str, u64, &str); 12] = [
    (
        "老旧小区综合改造工程",
        "区住房和城乡建设局",
        28_600_000,
        "改造石拐街道、大发街道12个老旧小区的供热管网、屋面防水和楼道照明，惠及2100户。",
    ),
    (
        "城区集中供热管网延伸",
        "区住房和城乡建设局",
        15_200_000,
        "新建供热主管网4.6公里，解决五当召镇区散煤取暖问题。",
    ),
    (
        "农村牧区饮水安全巩固提升",
        "区水利局",
        6_800_000,
        "新打机电井9眼、更新净水设备23套，保障吉忽伦图苏木等地饮水安全。",
    ),
    (
        "社区嵌入式养老服务中心",
        "区民政局",
        9_500_000,
        "新建3处社区养老服务中心，提供助餐、日间照料和康复服务。",
    ),
    (
        "中小学校舍改造和食堂提升",
        "区教育局",
        12_400_000,
        "改造2所学校校舍，提升5所学校食堂设施，新增明厨亮灶。",
    ),
    (
        "基层医疗卫生机构能力提升",
        "区卫生健康委员会",
        7_300_000,
        "为苏木乡镇卫生院配置DR、彩超等设备，建设远程会诊系统。",
    ),
    (
        "城区停车设施和慢行道建设",
        "区交通运输局",
        8_900_000,
        "新增公共停车位620个，建设慢行步道3.2公里。",
    ),
    (
        "农贸市场标准化改造",
        "区商务局",
        4_200_000,
        "改造2处农贸市场，规范摊位、排水和冷链设施。",
    ),
    (
        "就业技能培训和零工市场",
        "区人力资源和社会保障局",
        2_600_000,
        "建设零工市场1处，开展技能培训1500人次。",
    ),
    (
        "背街小巷路灯和道路修缮",
        "区城市管理综合执法局",
        5_400_000,
        "修缮背街小巷道路11条，新装和更换路灯460盏。",
    ),
    (
        "全民健身场地设施补短板",
        "区文化旅游体育局",
        3_100_000,
        "新建多功能运动场4处，更新健身器材120件。",
    ),
    (
        "婴幼儿托育服务点建设",
        "区卫生健康委员会",
        2_900_000,
        "建设普惠托育服务点2处，新增托位120个。",
    ),
];

/// The 12 candidates of the demo round.
pub fn candidates() -> Vec<Candidate> {
    PROJECTS
        .iter()
        .enumerate()
        .filter_map(|(i, (name, unit, yuan, summary))| {
            Some(Candidate {
                deadline: Date::parse(if i % 3 == 0 {
                    "2027-10-31"
                } else {
                    "2027-12-31"
                })
                .ok()?,
                id: CandidateId::parse(&format!("P{:02}", i + 1)).ok()?,
                investment_yuan: *yuan,
                lead_unit: unit.to_string(),
                name: name.to_string(),
                summary: summary.to_string(),
            })
        })
        .collect()
}

/// 12 candidates, 10 seats, 赞成/不赞成/弃权, majority of all deputies.
pub fn round_draft() -> RoundDraft {
    RoundDraft {
        title: TITLE.to_string(),
        assembly: ASSEMBLY.to_string(),
        rules: Rules {
            marks: MarkSet::ForAgainstAbstain,
            max_for: 10,
            seats: 10,
            shortfall: Shortfall::Accept,
            threshold_base: ThresholdBase::TotalDeputies,
        },
        candidates: candidates(),
        previous_result: None,
    }
}

/// The demo year's places: 苏木镇街道 and their 嘎查村社区.
pub const PLACES: [(&str, [&str; 3]); 5] = [
    ("石拐街道", ["旧石拐社区", "白狐沟社区", "新石拐社区"]),
    ("大发街道", ["大发社区", "东兴社区", "河滩沟社区"]),
    ("五当召镇", ["五当召村", "东河村", "青山村"]),
    ("吉忽伦图苏木", ["吉忽伦图嘎查", "海德尔嘎查", "阿贵沟嘎查"]),
    ("国庆路街道", ["国庆路社区", "庆丰社区", "和平社区"]),
];

/// Per project of [`PROJECTS`] (same order): the category and what people
/// write in about it, three ways.
pub const ASKS: [(&str, [&str; 3]); 12] = [
    (
        "住房",
        [
            "老旧小区楼顶漏水，楼道没有灯，希望改造",
            "小区供热管网老化，暖气不热，屋面漏雨",
            "我们小区是九十年代的老楼，管网和屋面都需要改造",
        ],
    ),
    (
        "供暖",
        [
            "镇区还在烧散煤取暖，希望接入集中供热",
            "冬季取暖靠烧煤，污染重，希望延伸供热管网",
            "希望把城区供热管网延伸到我们镇上",
        ],
    ),
    (
        "饮水",
        [
            "村里的井水水质不好，希望解决饮水安全",
            "夏天经常停水，希望新打机井",
            "牧区饮水设备老旧，净水设备需要更新",
        ],
    ),
    (
        "养老",
        [
            "老人多，希望社区办老年食堂和日间照料",
            "独居老人吃饭难，希望有社区助餐点",
            "希望建养老服务中心，提供康复和照料",
        ],
    ),
    (
        "教育",
        [
            "学校食堂太小，孩子吃饭要排很久",
            "校舍老旧，希望改造教学楼",
            "希望学校食堂明厨亮灶，保障孩子吃得安全",
        ],
    ),
    (
        "医疗",
        [
            "镇卫生院没有彩超，看病要跑到市里",
            "希望卫生院配备DR等检查设备",
            "希望开通远程会诊，在家门口看专家",
        ],
    ),
    (
        "交通",
        [
            "城区停车难，车辆乱停，希望增加停车位",
            "希望修建步行道，方便晨练散步",
            "上下班时段停车位不够，希望建公共停车场",
        ],
    ),
    (
        "市场",
        [
            "农贸市场排水差，夏天味道很大",
            "希望改造农贸市场，规范摊位",
            "市场没有冷链设施，肉菜不新鲜",
        ],
    ),
    (
        "就业",
        [
            "希望有零工市场，方便打零工找活",
            "希望开展技能培训，帮助就业",
            "失业人员多，希望多办就业培训",
        ],
    ),
    (
        "市政",
        [
            "背街小巷没有路灯，晚上出行不安全",
            "小巷道路坑洼，下雨全是积水，希望修缮",
            "希望更换老旧路灯，修补小巷道路",
        ],
    ),
    (
        "体育",
        [
            "附近没有运动场，希望建多功能球场",
            "健身器材坏了很久，希望更新",
            "希望建设全民健身场地",
        ],
    ),
    (
        "托育",
        [
            "双职工家庭孩子没人带，希望有托育点",
            "希望建设普惠托育机构，价格能承受",
            "三岁以下孩子入托难，希望新增托位",
        ],
    ),
];

/// Other things people ask for that do not become projects this year.
pub const OTHER_ASKS: [(&str, &str); 4] = [
    ("通信", "村里手机信号差，希望增设基站"),
    ("公交", "希望开通到市区的公交夜班车"),
    ("环境", "河道垃圾多，希望定期清理"),
    ("文化", "希望建社区图书室"),
];

/// The 12 projects' funding sources, in [`PROJECTS`] order.
pub fn funding_source(i: usize) -> &'static str {
    match i {
        0 | 1 => "中央城镇老旧小区改造补助资金和区级财政配套",
        2 => "自治区水利发展资金和区级财政",
        _ => "区级财政预算安排",
    }
}

/// The demo's projects as declared, before review: (name, lead unit, yuan, content).
pub fn project_rows() -> &'static [(&'static str, &'static str, u64, &'static str)] {
    &PROJECTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_district_has_150_deputies_and_12_projects() {
        let r = roster();
        assert_eq!(r.len(), 150);
        let mut numbers: Vec<_> = r.iter().map(|d| &d.number).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), 150);
        assert_eq!(candidates().len(), 12);
        assert_eq!(round_draft().rules.seats, 10);
    }
}
