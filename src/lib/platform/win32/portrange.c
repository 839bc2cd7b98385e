/* Windows' dynamic TCP port range from WMI's MSFT_NetTCPSetting (see portrange.h). */
#define COBJMACROS /* the C call macros, IWbemServices_ExecQuery(s, ...) */
#include <windows.h>
#include <initguid.h>
#include <ole2.h>
#include <oleauto.h>
#include <wbemidl.h>
#include <errno.h>
#include <stdio.h>

#include "platform/win32/portrange.h"

/* A numeric property of o, or -1 when it is absent or NULL. */
static long prop(IWbemClassObject *o, const wchar_t *name)
{
	VARIANT v;
	long out = -1;

	VariantInit(&v);
	if (SUCCEEDED(IWbemClassObject_Get(o, name, 0, &v, NULL, NULL)) &&
	    SUCCEEDED(VariantChangeType(&v, &v, 0, VT_I4)))
		out = V_I4(&v);
	VariantClear(&v);
	return out;
}

/* The first instance that carries a range (SettingName "Automatic" has none). */
static HRESULT first_range(IEnumWbemClassObject *en, long *start, long *count)
{
	IWbemClassObject *o = NULL;
	ULONG got = 0;
	HRESULT hr;

	while ((hr = IEnumWbemClassObject_Next(en, 10000, 1, &o, &got)) == WBEM_S_NO_ERROR &&
	       got == 1) {
		*start = prop(o, L"DynamicPortRangeStartPort");
		*count = prop(o, L"DynamicPortRangeNumberOfPorts");
		IWbemClassObject_Release(o);
		if (*start > 0 && *count > 0)
			return S_OK;
	}
	return FAILED(hr) ? hr : (HRESULT)WBEM_E_NOT_FOUND;
}

static HRESULT query(IWbemServices *svc, long *start, long *count, const char **step)
{
	BSTR lang = SysAllocString(L"WQL");
	BSTR q = SysAllocString(L"SELECT DynamicPortRangeStartPort, DynamicPortRangeNumberOfPorts "
	                        L"FROM MSFT_NetTCPSetting");
	IEnumWbemClassObject *en = NULL;
	HRESULT hr;

	*step = "ExecQuery";
	hr = lang && q
	         ? IWbemServices_ExecQuery(svc, lang, q,
	                                   WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY,
	                                   NULL, &en)
	         : E_OUTOFMEMORY;
	if (SUCCEEDED(hr)) {
		*step = "no instance with a range";
		hr = first_range(en, start, count);
		IEnumWbemClassObject_Release(en);
	}
	SysFreeString(lang);
	SysFreeString(q);
	return hr;
}

int win_dynamic_port_range(uint16_t *lo, uint16_t *hi, char *why, size_t whylen)
{
	HRESULT init = CoInitializeEx(NULL, COINIT_MULTITHREADED), hr;
	IWbemLocator *loc = NULL;
	IWbemServices *svc = NULL;
	BSTR ns = SysAllocString(L"ROOT\\StandardCimv2");
	const char *step = "CoCreateInstance(WbemLocator)";
	long start = -1, count = -1;

	hr = CoCreateInstance(&CLSID_WbemLocator, NULL, CLSCTX_INPROC_SERVER, &IID_IWbemLocator,
	                      (void **)&loc);
	if (SUCCEEDED(hr)) {
		step = "ConnectServer(ROOT\\StandardCimv2)";
		hr = IWbemLocator_ConnectServer(loc, ns, NULL, NULL, NULL, 0, NULL, NULL, &svc);
	}
	if (SUCCEEDED(hr)) {
		CoSetProxyBlanket((IUnknown *)svc, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
		                  RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IMPERSONATE, NULL,
		                  EOAC_NONE);
		hr = query(svc, &start, &count, &step);
	}
	if (svc)
		IWbemServices_Release(svc);
	if (loc)
		IWbemLocator_Release(loc);
	SysFreeString(ns);
	if (SUCCEEDED(init))
		CoUninitialize();
	if (SUCCEEDED(hr) && (start < 1 || start > 65535 || count < 1 || start + count - 1 > 65535))
		hr = E_UNEXPECTED, step = "a range out of bounds";
	if (FAILED(hr)) {
		snprintf(why, whylen, "MSFT_NetTCPSetting: %s 0x%08lx", step, (unsigned long)hr);
		return -ENOENT;
	}
	*lo = (uint16_t)start;
	*hi = (uint16_t)(start + count - 1);
	return 0;
}
