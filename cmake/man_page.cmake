# Writes quantize(1) with help2man from `quantize --help`, with the batch and palette
# subcommands' --help texts as sections of their own.
#   cmake -DCOMMAND=path/to/quantize -DHELP2MAN=help2man -DOUTPUT=quantize.1 -P man_page.cmake
get_filename_component(folder ${OUTPUT} DIRECTORY)
set(include_file ${folder}/quantize-man-include.txt)
file(WRITE ${include_file} "")
foreach(subcommand batch palette)
  execute_process(COMMAND ${COMMAND} ${subcommand} --help OUTPUT_VARIABLE help
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${COMMAND} ${subcommand} --help failed: ${status}")
  endif()
  string(TOUPPER ${subcommand} section)
  # roff: a leading dot or quote would start a request; backslashes and dashes escaped.
  string(REPLACE "\\" "\\e" help "${help}")
  string(REPLACE "-" "\\-" help "${help}")
  string(REGEX REPLACE "\n([.'])" "\n\\\\&\\1" help "${help}")
  file(APPEND ${include_file} "[COMMAND ${section}]\n.nf\n${help}\n.fi\n\n")
endforeach()
execute_process(COMMAND ${HELP2MAN} --no-info --no-discard-stderr
                        --name "reduce images to K colors with k-means"
                        --include ${include_file} --output ${OUTPUT} ${COMMAND}
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "help2man failed: ${status}")
endif()
