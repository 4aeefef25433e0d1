"""Script-injection vectors in the filter-evasion style: each, if it ran, would call
`__xss(n)` (n = its number), so a test can tell exactly which one got through."""

CALL = "__xss({n})"

_TEMPLATES = [
    "<script>{call}</script>",
    "<SCRIPT>{call}</SCRIPT>",
    "<scr<script>ipt>{call}</scr</script>ipt>",
    "<script src=data:text/javascript,{call}></script>",
    "<img src=x onerror={call}>",
    "<IMG SRC=x OnErRoR={call}>",
    '<img src="x" onerror="{call}">',
    "<img src=x onerror=&#x5f;&#x5f;xss({n})>",
    "<img/src=x/onerror={call}>",
    "<svg onload={call}>",
    "<svg><script>{call}</script></svg>",
    "<svg><animate onbegin={call} attributeName=x dur=1s>",
    "<svg><a xlink:href=javascript:{call}><text x=20 y=20>x</text></a></svg>",
    "<math><mi xlink:href=javascript:{call}>x</mi></math>",
    "<body onload={call}>",
    "<iframe src=javascript:{call}></iframe>",
    '<iframe srcdoc="<script>parent.{call}</script>"></iframe>',
    "<iframe srcdoc=&lt;script&gt;parent.{call}&lt;/script&gt;></iframe>",
    "<object data=javascript:{call}></object>",
    "<embed src=javascript:{call}>",
    "<a href=javascript:{call}>link</a>",
    "<a href=JaVaScRiPt:{call}>link</a>",
    "<a href=&#106;avascript:{call}>link</a>",
    "<a href=' javascript:{call}'>link</a>",
    "<a href=java&#x09;script:{call}>link</a>",
    "<a href=data:text/html,<script>{call}</script>>link</a>",
    "<form action=javascript:{call}><button>go</button></form>",
    "<button formaction=javascript:{call}>go</button>",
    "<input autofocus onfocus={call}>",
    "<select autofocus onfocus={call}></select>",
    "<textarea autofocus onfocus={call}></textarea>",
    "<details open ontoggle={call}>",
    "<video src=x onerror={call}></video>",
    "<audio src=x onerror={call}></audio>",
    "<marquee onstart={call}>x</marquee>",
    "<div onmouseover={call} style=position:fixed;inset:0>x</div>",
    "<div style=background:url(javascript:{call})>x</div>",
    "<style>@import 'javascript:{call}';</style>",
    "<link rel=stylesheet href=javascript:{call}>",
    "<meta http-equiv=refresh content='0;url=javascript:{call}'>",
    "<base href=javascript:{call}//>",
    "<table background=javascript:{call}>",
    "<isindex action=javascript:{call} type=image>",
    "</textarea><script>{call}</script>",
    "</title><script>{call}</script>",
    "</script><script>{call}</script>",
    '"><script>{call}</script>',
    "'><img src=x onerror={call}>",
    '" onmouseover="{call}" x="',
    "' autofocus onfocus='{call}' x='",
    "<!--<img src=x onerror={call}>-->",
    "<![CDATA[<img src=x onerror={call}>]]>",
    '<noscript><p title="</noscript><img src=x onerror={call}>">',
    "<template><img src=x onerror={call}></template>",
    "<xmp><img src=x onerror={call}></xmp>",
    "<plaintext><img src=x onerror={call}>",
    "{{{{constructor.constructor('{call}')()}}}}",
    "${{{call}}}",
    "{{% {call} %}}",
    "<%= {call} %>",
    "javascript:{call}",
    "&lt;script&gt;{call}&lt;/script&gt;",
    "&#60;script&#62;{call}&#60;/script&#62;",
    "\\u003cscript\\u003e{call}\\u003c/script\\u003e",
    "<img src=x onerror=eval(atob('{b64}'))>",
    "<svg/onload=eval(String.fromCharCode({codes}))>",
    "<img src=`x` onerror={call}>",
    "<img src=x onerror\n={call}>",
    "<img src=x onerror\t={call}>",
    "<img src=x:alert(1) onerror={call}>",
    "<image src=x onerror={call}>",
    "<input type=image src=x onerror={call}>",
    "<body background=javascript:{call}>",
    "<frameset onload={call}>",
    "<keygen autofocus onfocus={call}>",
    "<x contenteditable onblur={call}>x</x>",
    "<a id=x tabindex=1 onfocus={call}></a>",
    "<style onload={call}></style>",
    "<img src=data:image/svg+xml;base64,{svg64}>",
    "<object data=data:image/svg+xml;base64,{svg64}></object>",
    "<img srcset=x onerror={call}>",
    "<picture><source srcset=x><img src=x onerror={call}></picture>",
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116:{call}">link</a>',
    '<div data-init="{call}" onclick={call}>click</div>',
    "<form><input name=attributes><input name=innerHTML value='<img src=x onerror={call}>'>",
    "<svg><foreignObject><iframe srcdoc='<script>parent.{call}</script>'/></foreignObject></svg>",
    "<svg><set attributeName=onmouseover to={call}>",
    "<svg><use href=data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'"
    "&gt;&lt;image href='x' onerror='{call}'/&gt;&lt;/svg&gt;#x></svg>",
    "<dialog open onclose={call}><form method=dialog><button>x</button></form></dialog>",
    "<object type=text/html data='data:text/html,<script>parent.{call}</script>'></object>",
    "<portal src=javascript:{call}></portal>",
    "<img src=x onerror=window['__x'+'ss']({n})>",
    "<img src=x onerror=top[`__xss`]({n})>",
    "<img src=x onerror=setTimeout('{call}')>",
    "<img src=x onerror=Function('{call}')()>",
    "<img src=x onerror=import('data:text/javascript,{call}')>",
    "<math><maction actiontype=statusline xlink:href=javascript:{call}>x</maction></math>",
    "<a href=vbscript:{call}>link</a>",
    "\u202e<script>{call}</script>",
    "<scrıpt>{call}</scrıpt>",
    "<img src=x one\u0000rror={call}>",
]


def _fill(template: str, n: int) -> str:
    import base64

    call = CALL.format(n=n)
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' onload='{call}'/>"
    return template.format(
        call=call,
        n=n,
        b64=base64.b64encode(call.encode()).decode(),
        codes=",".join(str(ord(c)) for c in call),
        svg64=base64.b64encode(svg.encode()).decode(),
    )


VECTORS: list[str] = [_fill(template, n) for n, template in enumerate(_TEMPLATES)]

#: Written to the console by the hook: a vector that runs in a frame of its own (a `srcdoc`,
#: `data:` or `javascript:` frame, whose window is not the page's) is still seen.
MARKER = "__cme_xss_ran__"
#: Set by the hook: a page where it is missing cannot vouch that nothing ran.
INSTALLED = "__cmeXssWatch"

#: Run in every frame before its scripts (Playwright's init script): a vector that executes
#: records its number and writes the console marker.
HOOK = f"""
window.__xssHits = [];
window.{INSTALLED} = true;
window.__xss = function (n) {{
  window.__xssHits.push(n);
  console.log("{MARKER} " + n);
}};
"""
