"""WeChat integrations: the mini-program client (wechatpy), WeChat Pay, and a loopback simulator."""
