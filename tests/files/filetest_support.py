"""Helpers for the files-stage tests. Every fixture written here is SYNTHETIC, written by the lekdicht
authors for these tests; the real webshell samples are read from ../shared/datasets at test time only."""

# ruff: noqa: E501  (synthetic samples and configuration lines are kept whole)

from __future__ import annotations

from pathlib import Path

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
TENNC = DATASETS / "tennc-webshell"

EX = "C/Program Files/Microsoft/Exchange Server/V15"
"""A plain copy of C:\\ with Exchange in its default folder."""
OWA_AUTH = f"{EX}/FrontEnd/HttpProxy/owa/auth"
ECP_AUTH = f"{EX}/FrontEnd/HttpProxy/ecp/auth"
ASPNET_CLIENT = "C/inetpub/wwwroot/aspnet_client"
ASPNET_TEMP = "C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files"

# Synthetic, benign page modelled on the shape of Exchange's owa/auth/logon.aspx (not a copy of it).
LOGON_ASPX = """<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import Namespace="Microsoft.Exchange.Clients.Owa.Core" %>
<%@ Import Namespace="Microsoft.Exchange.HttpProxy" %>
<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<!-- synthetic test fixture written by lekdicht -->
<html>
<head>
<meta http-equiv="X-UA-Compatible" content="IE=10" />
<link rel="stylesheet" type="text/css" href="/owa/auth/15.1.2176/themes/resources/logon.css">
<title><%= Strings.GetLocalizedString(Strings.IDs.OutlookWebApp) %></title>
<script type="text/javascript">
    function clkLgn() {
        var form = document.forms[0];
        if (form.username.value.length == 0) { return false; }
        form.submit();
        return true;
    }
    function setCookie(name, value) { document.cookie = name + "=" + escape(value) + "; path=/"; }
</script>
</head>
<body class="signInBg">
<form action="/owa/auth.owa" method="POST" name="logonForm" enctype="application/x-www-form-urlencoded">
<input type="hidden" name="destination" value="<%= Server.HtmlEncode(Destination) %>">
<input type="hidden" name="flags" value="4">
<input id="username" name="username" type="text" autocomplete="off">
<input id="password" name="password" type="password" onfocus="g_fFcs=0">
<% if (ShowPublicPrivateSelection) { %>
<input id="rdoPrvt" type="radio" name="trusted" value="4" checked>
<% } %>
<div onclick="clkLgn()" class="signinbutton" role="button" tabIndex="0">sign in</div>
</form>
</body>
</html>
"""

TIMEOUT_LOGOFF_ASPX = """<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.Management.ControlPanel.TimeoutLogoff" %>
<!-- synthetic test fixture written by lekdicht -->
<html><head><title>Sign out</title></head>
<body><p>Your session has timed out. <a href="/ecp/">Sign in again</a>.</p></body></html>
"""

LOGOFF_ASPX = """<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logoff" %>
<!-- synthetic test fixture written by lekdicht -->
<html><body><p>You have signed out.</p><script type="text/javascript">window.close();</script></body></html>
"""

OWA_JS = """/* synthetic test fixture written by lekdicht: minified-style client script */
(function(){var a=window.location.hash;function b(c){return JSON.parse(c)}var d=eval("("+"{}"+")");
window.owaBoot=function(){return b("{}")||d}})();
"""

LOGON_CSS = "/* synthetic */ body{font-family:'Segoe UI';background:#fff}.signInBg{margin:0}\n"
GIF_1PX = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"

OWA_WEB_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<!-- synthetic test fixture written by lekdicht -->
<configuration>
  <system.webServer>
    <modules>
      <add name="ProxyModule" type="Microsoft.Exchange.HttpProxy.ProxyModule, Microsoft.Exchange.FrontEndHttpProxy" />
      <add name="OutputCache" type="System.Web.Caching.OutputCacheModule" preCondition="managedHandler" />
    </modules>
  </system.webServer>
</configuration>
"""

APPLICATIONHOST_CLEAN = r"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic test fixture written by lekdicht -->
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
        </application>
        <application path="/ecp" applicationPool="MSExchangeECPAppPool">
          <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\ecp" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer>
    <globalModules>
      <add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
      <add name="ManagedEngineV4.0_64bit" image="%windir%\Microsoft.NET\Framework64\v4.0.30319\webengine4.dll" />
      <add name="kerbauth" image="C:\Program Files\Microsoft\Exchange Server\V15\Bin\kerbauth.dll" />
      <add name="RewriteModule" image="%SystemRoot%\system32\inetsrv\rewrite.dll" />
    </globalModules>
    <modules>
      <add name="UriCacheModule" lockItem="true" />
      <add name="OutputCache" type="System.Web.Caching.OutputCacheModule" preCondition="managedHandler" />
    </modules>
  </system.webServer>
</configuration>
"""

APPLICATIONHOST_BAD = r"""<?xml version="1.0" encoding="UTF-8"?>
<!-- synthetic test fixture written by lekdicht: ProxyShell-style vdir and unexpected modules -->
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/COM" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="C:\ProgramData\COM" />
        </application>
        <application path="/portal" applicationPool="Portal">
          <virtualDirectory path="/" physicalPath="D:\WebApps\Portal" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer>
    <globalModules>
      <add name="UriCacheModule" image="%windir%\System32\inetsrv\cachuri.dll" />
      <add name="HttpHelper" image="C:\Windows\Temp\helper64.dll" />
    </globalModules>
    <modules>
      <add name="OutputCache" type="System.Web.Caching.OutputCacheModule" preCondition="managedHandler" />
      <add name="SessionGuard" type="Contoso.Web.SessionGuardModule, Contoso.Web" />
    </modules>
  </system.webServer>
</configuration>
"""


def write(root: Path, rel: str, content: str | bytes) -> Path:
    """Write a synthetic evidence file under ``root``."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def evidence_files(root: Path) -> list[tuple[str, Path]]:
    """All files (and symbolic links) under ``root`` as (evidence-relative path, local path)."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() or p.is_symlink():
            out.append((p.relative_to(root).as_posix(), p))
    return out


def clean_exchange_tree(root: Path) -> None:
    """A synthetic clean Exchange-like web tree: Exchange's own auth pages, static resources, configs."""
    write(root, f"{OWA_AUTH}/logon.aspx", LOGON_ASPX)
    write(root, f"{OWA_AUTH}/logoff.aspx", LOGOFF_ASPX)
    write(root, f"{OWA_AUTH}/errorFE.aspx", LOGOFF_ASPX.replace("Logoff", "ErrorFE"))
    write(root, f"{OWA_AUTH}/RedirSuiteServiceProxy.aspx", LOGOFF_ASPX.replace("Logoff", "RedirSuite"))
    write(root, f"{OWA_AUTH}/Current/themes/resources/logon.css", LOGON_CSS)
    write(root, f"{OWA_AUTH}/Current/themes/resources/favicon.gif", GIF_1PX)
    write(root, f"{OWA_AUTH}/15.1.2176.2/scripts/premium/boot.js", OWA_JS)
    write(root, f"{OWA_AUTH}/15.1.2176.2/themes/resources/spinner.gif", GIF_1PX)
    write(root, f"{ECP_AUTH}/TimeoutLogoff.aspx", TIMEOUT_LOGOFF_ASPX)
    write(root, f"{EX}/FrontEnd/HttpProxy/owa/web.config", OWA_WEB_CONFIG)
    write(root, f"{EX}/ClientAccess/ecp/Organize/Mailbox.aspx", LOGOFF_ASPX.replace("Logoff", "Mailbox"))
    write(root, "C/inetpub/wwwroot/iisstart.htm", "<html><!-- synthetic --><body>IIS</body></html>")
    write(root, "C/inetpub/wwwroot/iisstart.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (root / ASPNET_CLIENT / "system_web" / "4_0_30319").mkdir(parents=True, exist_ok=True)
    write(root, "C/Windows/System32/inetsrv/config/applicationHost.config", APPLICATIONHOST_CLEAN)
    write(root, "C/ProgramData/Microsoft/Windows/WER/ReportArchive/x/Report.wer", "Version=1\n")
    write(
        root,
        f"{EX}/Logging/HttpProxy/Owa/HttpProxy_2021030100-1.LOG",
        "#Software: Microsoft Exchange Server\n",
    )
