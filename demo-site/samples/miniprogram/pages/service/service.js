// Builds each entry button's session-from from the signed-in member (display data for agents;
// the entry ids are the site's, from Settings -> Entries).
const MAX_BYTES = 1000;

function sessionFrom(entry, member) {
  const fields = member.vipNo ? { vipNo: member.vipNo, vipName: member.nickName } : {};
  const parts = ['miniprogram', member.nickName || '', member.avatarUrl || '', JSON.stringify(fields), `entry=${entry}`];
  let value = parts.join('|');
  // WeChat carries at most 1000 bytes: drop the custom fields first, keep the entry.
  if (unescape(encodeURIComponent(value)).length > MAX_BYTES) {
    value = ['miniprogram', member.nickName || '', '', '{}', `entry=${entry}`].join('|');
  }
  return value;
}

Page({
  data: { member: {}, presale: '', aftersale: '', vip: '' },
  onLoad() {
    // The shop's own member record (from its login), e.g. { nickName, avatarUrl, vipNo }.
    const member = getApp().globalData.member || {};
    this.setData({
      member,
      presale: sessionFrom('pre-sale', member),
      aftersale: sessionFrom('after-sale', member),
      vip: sessionFrom('vip', member),
    });
  },
});
