-- wrk: request random pages of a sitegen site, as a crawl would.
-- usage: wrk -s random-page.lua URL -- PAGES
local pages = 20000
function init(args)
  pages = tonumber(args[1]) or pages
  math.randomseed(os.time() + math.random(1000))
end
function request()
  return wrk.format("GET", "/p/" .. math.random(0, pages - 1) .. ".html")
end
