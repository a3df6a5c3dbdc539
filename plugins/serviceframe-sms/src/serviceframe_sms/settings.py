"""The settings of an ``sms`` channel, as the organisation file gives them."""

from urllib.parse import urlsplit

from attrs import field, frozen
from serviceframe.errors import ValidationError

PROVIDERS = ("smpp", "aliyun", "tencent")
ENDPOINTS = {
    "aliyun": "https://dysmsapi.aliyuncs.com/",
    "tencent": "https://sms.tencentcloudapi.com/",
}
REGIONS = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}
# What each provider needs besides its secret, for a clear error at ``org load``.
REQUIRED = {
    "smpp": ("smpp", "system_id"),
    "aliyun": ("access_key_id", "sign_name", "template_code"),
    "tencent": ("access_key_id", "sign_name", "template_code", "sdk_app_id"),
}


def _provider(_inst: object, _attribute: object, value: str) -> None:
    if value not in PROVIDERS:
        raise ValidationError("provider", value, f"one of {', '.join(PROVIDERS)}")


def _smpp_url(_inst: object, _attribute: object, value: str) -> None:
    if value and smpp_address(value) is None:
        raise ValidationError("smpp", value, "write smpp://host:port, e.g. smpp://10.1.2.3:2775")


def smpp_address(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme != "smpp" or not parts.hostname or parts.path not in ("", "/"):
        return None
    try:
        return parts.hostname, parts.port or 2775
    except ValueError:
        return None


@frozen
class SmsSettings:
    """``[[channels]] kind = "sms"``. Secrets (``password`` for SMPP, ``access_key_secret`` for
    the cloud providers) belong in ``secrets = { password = "ENV_VAR" }``.

    ``provider`` picks the transport: ``smpp`` (an operator's or a county gateway's SMSC),
    ``aliyun`` (阿里云短信 dysmsapi) or ``tencent`` (腾讯云短信). The cloud providers send only
    approved templates: give one whose single variable carries the whole text (Aliyun
    ``${content}``, Tencent ``{1}``); ``template_param`` names Aliyun's variable.
    """

    provider: str = field(validator=_provider)
    # SMPP
    smpp: str = field(default="", validator=_smpp_url)  # smpp://host:port
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    source_addr: str = ""  # the service number replies come to, e.g. 1069xxxx
    # Aliyun / Tencent Cloud
    endpoint: str = ""  # default: the provider's public endpoint
    region: str = ""  # default: cn-hangzhou / ap-guangzhou
    access_key_id: str = ""  # Aliyun AccessKeyId, Tencent SecretId
    access_key_secret: str = ""  # Aliyun AccessKeySecret, Tencent SecretKey
    sign_name: str = ""  # 短信签名, e.g. 焦作市企业服务
    template_code: str = ""  # Aliyun TemplateCode, Tencent TemplateId
    template_param: str = "content"  # Aliyun: the template's variable
    sdk_app_id: str = ""  # Tencent SmsSdkAppId
    timeout: float = 10.0
    max_parts: int = 8  # a longer text is refused for good (each part is paid for)

    def __attrs_post_init__(self) -> None:
        for name in REQUIRED[self.provider]:
            if not getattr(self, name):
                raise ValidationError(
                    name, "", f"an sms channel with provider {self.provider!r} needs it"
                )
        if self.timeout <= 0:
            raise ValidationError("timeout", self.timeout, "seconds, more than 0")
        if not 1 <= self.max_parts <= 255:
            raise ValidationError("max_parts", self.max_parts, "between 1 and 255")

    @property
    def url(self) -> str:
        return self.endpoint or ENDPOINTS.get(self.provider, "")

    @property
    def region_id(self) -> str:
        return self.region or REGIONS.get(self.provider, "")
