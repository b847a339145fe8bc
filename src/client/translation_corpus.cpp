// Sentences of the built-in translation workload: everyday business and technical prose in
// Chinese and English, written for this project.
#include "client/translation_corpus.h"

#include <array>

namespace dsinfer::client {

namespace {

constexpr std::array<std::string_view, 24> kChinese = {
    "今天上午的会议推迟到下午三点，请各位提前准备好季度报告。",
    "仓库的新货架已经安装完毕，下周一开始正式投入使用。",
    "由于暴雨预警，部分航班可能延误，请旅客留意机场广播。",
    "我们的客服团队全天候在线，随时为您解答产品使用中的问题。",
    "这份合同的第三条需要法务部门再审核一次，然后才能签字。",
    "新版本修复了登录页面偶尔卡住的问题，并提升了搜索速度。",
    "请在月底之前提交报销单据，逾期将无法在本月结算。",
    "城市图书馆本周末举办儿童阅读活动，欢迎家长带孩子参加。",
    "服务器在凌晨两点进行例行维护，期间网站可能短暂无法访问。",
    "这款茶叶产自云南高山茶园，口感清香，回味甘甜。",
    "培训课程分为理论讲解和实际操作两个部分，共计十六个课时。",
    "为了减少纸张浪费，公司决定从下个月起全面推行电子发票。",
    "如果您在收到商品后发现质量问题，可以在七天内申请退换。",
    "研究团队花了三年时间，终于完成了对这一地区鸟类迁徙的观测。",
    "地铁四号线延长段预计明年春天通车，将大大方便沿线居民出行。",
    "请确认收货地址和联系电话是否正确，以免影响配送。",
    "本次调查共收回有效问卷一千二百份，结果将在下周公布。",
    "系统检测到您的账户在异地登录，如非本人操作，请及时修改密码。",
    "这道菜的关键在于火候，炒得太久会让蔬菜失去脆嫩的口感。",
    "展览将持续到十月底，门票可以在官方网站上提前预订。",
    "新员工入职第一周需要完成安全培训，并熟悉各部门的工作流程。",
    "经过多次测试，我们确认该问题只在旧版浏览器中出现。",
    "山区的夜晚气温较低，登山者应携带保暖衣物和充足的饮用水。",
    "项目进度比原计划提前了两周，团队成员的努力功不可没。",
};

constexpr std::array<std::string_view, 24> kEnglish = {
    "The quarterly review has been moved to Thursday afternoon, so please update your slides.",
    "Our warehouse in the north district will close early on Friday for inventory counting.",
    "If the package arrives damaged, take a photo and contact support within seven days.",
    "The new release fixes a crash on startup and makes the search results load faster.",
    "Please remember to lock the meeting room and switch off the projector when you leave.",
    "The museum offers free guided tours every Sunday morning for visitors of all ages.",
    "Heavy snow is expected overnight, and several bus routes may run on a reduced schedule.",
    "All expense reports must be submitted before the end of the month to be reimbursed.",
    "The research team collected samples from twelve rivers over the course of two summers.",
    "Customers can now track their orders in real time through the mobile application.",
    "The kitchen will be renovated next month, so the cafeteria will serve cold meals only.",
    "Before signing the lease, read the section about maintenance responsibilities carefully.",
    "The conference attracted more than three thousand participants from forty countries.",
    "Our support engineers are available around the clock to help with installation issues.",
    "The bridge will be closed to traffic for two nights while the inspection takes place.",
    "This tea is grown on high mountain slopes, which gives it a light and sweet flavour.",
    "Please double-check the delivery address and phone number before confirming the order.",
    "The training program combines short lectures with hands-on exercises in small groups.",
    "After several rounds of testing, the bug appears only on older versions of the browser.",
    "Visitors are advised to bring warm clothes, because nights in the valley are cold.",
    "The survey received twelve hundred valid responses, and the results will be published soon.",
    "Volunteers planted more than five hundred trees along the river during the weekend.",
    "The project is two weeks ahead of schedule thanks to the hard work of the whole team.",
    "Your account was signed in from a new device; change your password if it was not you.",
};

constexpr std::string_view kZhToEn =
    "You are a professional translator. Translate the following text from Chinese to English. "
    "Keep the meaning, tone and formatting, and output only the translation.\n\n";
constexpr std::string_view kEnToZh =
    "You are a professional translator. Translate the following text from English to Chinese. "
    "Keep the meaning, tone and formatting, and output only the translation.\n\n";

}  // namespace

std::span<const std::string_view> chinese_sentences() { return kChinese; }
std::span<const std::string_view> english_sentences() { return kEnglish; }

std::string_view translation_instruction(std::string_view source) {
  return source == "zh" ? kZhToEn : kEnToZh;
}

}  // namespace dsinfer::client
